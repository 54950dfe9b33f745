// The extra networks browser and the prompt's completion: the model folders' LoRAs and embeddings
// appear as cards (with their preview), a click inserts the tag or name into the prompt, the
// prompt box completes their names as they are typed, and the counter counts an embedding's vectors.
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "../core/TestFiles.h"
#include "ui/ExtraNetworksPanel.h"
#include "ui/PromptCompleter.h"
#include "ui/PromptEditor.h"

class TestExtraNetworksPanel : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    void loadInto(qd::ExtraNetworksPanel& panel)
    {
        QSignalSpy loaded(&panel, &qd::ExtraNetworksPanel::loaded);
        panel.setFolders({ m_dir.filePath("Lora") }, { m_dir.filePath("embeddings") });
        QVERIFY(loaded.wait(10000));
    }

    // The cursor after `text` typed into the box.
    static void type(qd::PromptEditor& editor, const QString& text)
    {
        editor.setText(text);
        QTextCursor c = editor.textEdit()->textCursor();
        c.movePosition(QTextCursor::End);
        editor.textEdit()->setTextCursor(c);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qdtest::writeSafetensorsKeys(m_dir.filePath("Lora/watercolor.safetensors"),
            { "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight" });
        qdtest::writeSafetensorsKeys(
            m_dir.filePath("Lora/water-ink.safetensors"), { "lora_unet_x.lora_down.weight" });
        QImage preview(64, 48, QImage::Format_RGB32);
        preview.fill(QColor(200, 30, 30));
        QVERIFY(preview.save(m_dir.filePath("Lora/watercolor.preview.png")));
        // an embedding of one vector: {"emb_params": F32 [1]}
        qdtest::writeSafetensorsKeys(
            m_dir.filePath("embeddings/easy-negative.safetensors"), { "emb_params" });
    }

    void cardsAndClicks()
    {
        qd::ExtraNetworksPanel panel;
        loadInto(panel);
        QCOMPARE(panel.loras().size(), 2);
        QCOMPARE(panel.cards()->count(), 2);
        // the preview image is the card's picture: its centre is the file's red
        const QListWidgetItem* watercolor = panel.cards()->item(1);
        QCOMPARE(watercolor->text().section('\n', 0, 0), QString("watercolor"));
        const QImage icon = watercolor->icon().pixmap(112, 112).toImage();
        QCOMPARE(icon.pixelColor(56, 56), QColor(200, 30, 30));
        QVERIFY(watercolor->text().contains("SD1"));

        QSignalSpy insert(&panel, &qd::ExtraNetworksPanel::insertRequested);
        const QRect rect = panel.cards()->visualItemRect(panel.cards()->item(1));
        panel.resize(600, 400);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTest::mouseClick(panel.cards()->viewport(), Qt::LeftButton, {},
            panel.cards()->visualItemRect(panel.cards()->item(1)).center());
        Q_UNUSED(rect);
        QCOMPARE(insert.count(), 1);
        QCOMPARE(insert.at(0).at(0).toString(), QString("<lora:watercolor:1>"));

        panel.showKind(1);
        QCOMPARE(panel.cards()->count(), 1);
        QCOMPARE(panel.cards()->item(0)->data(Qt::UserRole).toString(), QString("easy-negative"));
        panel.setFilter("nothing-like-this");
        QCOMPARE(panel.cards()->count(), 0);
        QVERIFY(panel.findChild<QLabel*>()->isVisible());
    }

    void insertsIntoThePrompt()
    {
        qd::PromptEditor editor("Prompt", "p");
        type(editor, "a lighthouse");
        editor.insertPromptText("<lora:watercolor:1>");
        QCOMPARE(editor.text(), QString("a lighthouse, <lora:watercolor:1>"));
        type(editor, "a lighthouse, ");
        editor.insertPromptText("easy-negative");
        QCOMPARE(editor.text(), QString("a lighthouse, easy-negative"));
    }

    void completesNamesAsTyped()
    {
        qd::PromptEditor editor("Prompt", "p");
        editor.setExtraNetworkNames({ "watercolor", "water-ink", "film" }, { "easy-negative" });
        qd::PromptCompleter* c = editor.completer();
        type(editor, "a boat <lora:wat");
        QCOMPARE(c->candidates(), QStringList({ "water-ink", "watercolor" }));
        c->insertCompletion("watercolor");
        QCOMPARE(editor.text(), QString("a boat <lora:watercolor:1>"));
        type(editor, "a boat, ea");
        QCOMPARE(c->candidates(), QStringList({ "easy-negative" }));
        c->insertCompletion("easy-negative");
        QCOMPARE(editor.text(), QString("a boat, easy-negative"));
        type(editor, "a boat, e"); // one letter is not enough
        QVERIFY(c->candidates().isEmpty());
        type(editor, "a boat, watercolor"); // LoRA names complete only inside a tag
        QVERIFY(c->candidates().isEmpty());
    }

    void counterCountsEmbeddingVectors()
    {
        qd::ExtraNetworksPanel panel;
        loadInto(panel);
        qd::PromptEditor editor("Prompt", "p");
        const auto vocabulary = panel.vocabulary();
        editor.setTokenCounter(
            [vocabulary](const QString& p) { return qd::clipTokenCount(p, vocabulary.get()); });
        type(editor, "a boat, easy-negative");
        QTRY_COMPARE(editor.tokenCount().total, 3 + 1); // "a boat ," + the file's one vector
    }
};

QTEST_MAIN(TestExtraNetworksPanel)
#include "tst_extranetworkspanel.moc"
