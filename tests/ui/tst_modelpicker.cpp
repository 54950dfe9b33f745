// The model picker: filled from the model library of the settings' model folders with A1111's titles
// "name [hash10]" (titles update as the hashes arrive, the selection stays), the chosen checkpoint's
// config and VAE go into the job, its name and hash into the infotext, and restoring parameters with
// a "Model hash" selects that model. The demo model is there when no checkpoint is found.
//
// Expected hashes come from the `sha256sum` command over the bytes written here.
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSpinBox>
#include <QtEndian>
#include <QtTest/QtTest>

#include "../core/TestFiles.h"
#include "core/library/ModelLibrary.h"
#include "ui/MainWindow.h"
#include "ui/ParameterPanel.h"

namespace
{

const QString kHashAlpha = "85c4affd80"; // printf 'alpha checkpoint\n' | sha256sum
const QString kHashBeta = "fe2603e37d"; // printf 'beta checkpoint\n' | sha256sum
const QString kHashVae = "8212c93363"; // printf 'a vae\n' | sha256sum

using qdtest::writeFile;
using qdtest::writeSafetensorsKeys;

QStringList itemTexts(const QComboBox* combo)
{
    QStringList out;
    for (int i = 0; i < combo->count(); ++i)
        out << combo->itemText(i);
    return out;
}

} // namespace

class TestModelPicker : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(qEnvironmentVariableIsSet("QDIFFUSION_HOME")); // never write into the user's folders
    }

    // "TAESD" previews: the decoder file is looked up in the model folders and their VAE-approx
    // folders (AUTOMATIC1111 keeps taesd_decoder.pth there); without one the job still names where
    // it belongs, so the engine's warning can tell the user.
    void taesdDecoderIsFoundWhereArtistsKeepIt()
    {
        QTemporaryDir models;
        QVERIFY(models.isValid());
        qd::MainWindow w;
        qd::Settings s = w.settings();
        s.previewMethod = "taesd";
        s.modelFolders = { models.path() };
        w.setSettings(s);
        qd::GenerationJob job = w.currentJob().value();
        QCOMPARE(job.preview.method, qd::PreviewMethod::Taesd);
        QVERIFY2(QString::fromStdString(job.preview.taesdPath).endsWith("/models/taesd_decoder.safetensors"),
            job.preview.taesdPath.c_str());
        QVERIFY(QDir(models.path()).mkpath("VAE-approx"));
        writeFile(models.filePath("VAE-approx/taesd_decoder.pth"), "not read here");
        job = w.currentJob().value();
        QCOMPARE(
            QString::fromStdString(job.preview.taesdPath), models.filePath("VAE-approx/taesd_decoder.pth"));
        writeFile(models.filePath("taesd_decoder.safetensors"), "not read here"); // the folder itself wins
        QCOMPARE(QString::fromStdString(w.currentJob()->preview.taesdPath),
            models.filePath("taesd_decoder.safetensors"));
    }

    // The default size and the TAESD decoder follow the family read from the checkpoint's keys,
    // whatever its file name says: an SDXL checkpoint named without "xl" gets 1024 px and
    // taesdxl_decoder, an SD 1.x one named "xl-..." 512 px and taesd_decoder.
    void familyFromTheWeightsNotTheName()
    {
        QTemporaryDir models;
        QVERIFY(models.isValid());
        writeSafetensorsKeys(models.filePath("tiny-one.safetensors"),
            { "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
                "conditioner.embedders.1.model.ln_final.weight", "model.diffusion_model.out.2.bias" });
        writeSafetensorsKeys(models.filePath("xl-something.safetensors"),
            { "cond_stage_model.transformer.text_model.final_layer_norm.weight",
                "model.diffusion_model.out.2.bias" });
        writeFile(models.filePath("taesd_decoder.safetensors"), "not read here");
        writeFile(models.filePath("taesdxl_decoder.safetensors"), "not read here");

        qd::MainWindow w;
        auto* combo = w.findChild<QComboBox*>("modelCombo");
        auto* width = w.findChild<QSpinBox*>("widthSpin");
        auto* height = w.findChild<QSpinBox*>("heightSpin");
        QVERIFY(combo && width && height);
        qd::Settings s = w.settings();
        s.previewMethod = "taesd";
        s.modelFolders = { models.path() };
        w.setSettings(s);
        QCOMPARE(itemTexts(combo).size(), 2);
        QVERIFY(combo->itemText(0).startsWith("tiny-one.safetensors"));

        combo->setCurrentIndex(0); // SDXL, not named so
        QCOMPARE(width->value(), 1024);
        QCOMPARE(height->value(), 1024);
        QCOMPARE(QString::fromStdString(w.currentJob()->preview.taesdPath),
            models.filePath("taesdxl_decoder.safetensors"));

        combo->setCurrentIndex(1); // SD 1.x, named "xl-..."
        QCOMPARE(width->value(), 512);
        QCOMPARE(height->value(), 512);
        QCOMPARE(QString::fromStdString(w.currentJob()->preview.taesdPath),
            models.filePath("taesd_decoder.safetensors"));
    }

    void pickerFollowsTheLibrary()
    {
        QTemporaryDir models;
        QVERIFY(models.isValid());
        const QString alpha = models.filePath("alpha.safetensors");
        const QString beta = models.filePath("beta.safetensors");
        writeFile(alpha, "alpha checkpoint\n");
        writeFile(beta, "beta checkpoint\n");
        writeFile(models.filePath("beta.yaml"), "model: {}\n");
        writeFile(models.filePath("beta.vae.safetensors"), "a vae\n");

        qd::MainWindow w;
        auto* combo = w.findChild<QComboBox*>("modelCombo");
        auto* vaeCombo = w.findChild<QComboBox*>("vaeCombo");
        QVERIFY(combo && vaeCombo);
        qd::Settings s = w.settings();
        s.modelFolders.clear();
        w.setSettings(s);
        QVERIFY(w.parameterPanel()->currentModel().path.isEmpty()); // an empty library: the demo model
        QCOMPARE(combo->count(), 1);
        QVERIFY(w.currentJob()->model.checkpoint.empty());

        s.modelFolders = { models.path() };
        w.setSettings(s);
        QCOMPARE(combo->count(), 2);
        QVERIFY(!w.parameterPanel()->currentModel().path.isEmpty());
        combo->setCurrentIndex(1); // beta, picked before its hash is known
        QCOMPARE(w.parameterPanel()->currentModel().path, beta);

        // The titles gain their hashes in place; beta stays selected.
        QTRY_COMPARE_WITH_TIMEOUT(itemTexts(combo),
            QStringList({ "alpha.safetensors [" + kHashAlpha + "]", "beta.safetensors [" + kHashBeta + "]" }),
            30000);
        QCOMPARE(combo->currentIndex(), 1);
        QVERIFY(w.modelLibrary()->waitForHashes(30000)); // the VAE's hash too

        QCOMPARE(itemTexts(vaeCombo), QStringList({ "Automatic", "None", "beta.vae.safetensors" }));
        qd::GenerationJob job = w.currentJob().value();
        QCOMPARE(QString::fromStdString(job.model.checkpoint), beta);
        QCOMPARE(QString::fromStdString(job.model.config), models.filePath("beta.yaml"));
        QCOMPARE(QString::fromStdString(job.model.vae), models.filePath("beta.vae.safetensors"));
        QCOMPARE(QString::fromStdString(job.params.modelName), QString("beta")); // infotext "Model"
        QCOMPARE(QString::fromStdString(job.params.modelHash), kHashBeta); // infotext "Model hash"
        QCOMPARE(QString::fromStdString(job.params.vaeName), QString("beta.vae.safetensors"));
        QCOMPARE(QString::fromStdString(job.params.vaeHash), kHashVae);

        // "None": the checkpoint's own VAE, and no VAE in the infotext.
        vaeCombo->setCurrentIndex(1);
        job = w.currentJob().value();
        QVERIFY(job.model.vae.empty());
        QVERIFY(job.params.vaeName.empty());
        // Alpha has no VAE of its own: "Automatic" uses none, a picked one is used by name.
        combo->setCurrentIndex(0);
        vaeCombo->setCurrentIndex(0);
        QVERIFY(w.currentJob()->model.vae.empty());
        QVERIFY(w.currentJob()->model.config.empty());
        vaeCombo->setCurrentIndex(2);
        QCOMPARE(QString::fromStdString(w.currentJob()->model.vae), models.filePath("beta.vae.safetensors"));
        QCOMPARE(QString::fromStdString(w.currentJob()->params.vaeName), QString("beta.vae.safetensors"));
        vaeCombo->setCurrentIndex(0);

        // Restoring an image's parameters: its "Model hash" picks the model, whatever the name says.
        qd::GenerationParams p = w.currentParams();
        p.modelHash = kHashBeta.toStdString();
        p.modelName = "renamed";
        w.restoreParams(p);
        QCOMPARE(w.parameterPanel()->currentModel().path, beta);
        p.modelHash = kHashAlpha.toUpper().toStdString();
        w.restoreParams(p);
        QCOMPARE(w.parameterPanel()->currentModel().path, alpha);
        // an unknown hash: the name decides
        p.modelHash = "0123456789";
        p.modelName = "beta";
        w.restoreParams(p);
        QCOMPARE(w.parameterPanel()->currentModel().path, beta);
        // the full SHA-256 works too (A1111 accepts it as a checkpoint alias)
        p.modelHash = "85c4affd801ac828399261e42fcf804ffe423d0c563b401bc02a71431c57938d";
        p.modelName.clear();
        w.restoreParams(p);
        QCOMPARE(w.parameterPanel()->currentModel().path, alpha);

        // A checkpoint that disappears leaves the picker at the next scan; the one left is selected.
        QVERIFY(QFile::remove(alpha));
        w.setSettings(s);
        QCOMPARE(itemTexts(combo), QStringList({ "beta.safetensors [" + kHashBeta + "]" }));
        QCOMPARE(w.parameterPanel()->currentModel().path, beta);
    }
};

QTEST_MAIN(TestModelPicker)
#include "tst_modelpicker.moc"
