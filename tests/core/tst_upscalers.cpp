// LibTorch before Qt: Qt's `slots` macro would break LibTorch's headers.
#include <torch/torch.h>

#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/FillRule.h"
#include "core/generation/Upscalers.h"

#include <fstream>

#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

// The image upscalers the hires fix menu, the API's /upscalers and the upscale action offer: the
// built-in ones, ESRGAN-family files found in the models' ESRGAN folder (others left out), and
// A1111's resize rules (model passes until the size is reached, Lanczos for the exact size).
class TestUpscalers : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::vector<std::string> m_dirs;

    static qd::Image gradient(int w, int h)
    {
        qd::Image im;
        im.width = w;
        im.height = h;
        im.pixels.resize(size_t(w) * h * 3);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c)
                    im.pixels[(size_t(y) * w + x) * 3 + c] = uint8_t((x * 7 + y * 3 + c * 50) % 256);
        return im;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString esrgan = m_dir.filePath("ESRGAN");
        QDir().mkpath(esrgan);
        // the x4 tiny model of the upscaler conformance data, by the fill rule
        std::ifstream in(
            QStringLiteral(QD_TEST_DATA "/conformance/upscaler/upscaler_layouts.json").toStdString());
        const auto layouts = nlohmann::json::parse(in);
        qd::StateDict sd;
        for (const auto& [key, shape] : layouts.at("models").at("x4_nf16_nb2").at("shapes").items())
            sd.emplace(key, qd::fillRuleTensor(key, shape.get<std::vector<int64_t>>()));
        qd::saveSafetensors((esrgan + "/4x-tiny.safetensors").toStdString(), sd);
        // not an upscaler: left out of the list
        qd::saveSafetensors((esrgan + "/not-an-upscaler.safetensors").toStdString(),
            { { "model.diffusion_model.out.2.weight", torch::zeros({ 4, 4, 3, 3 }) } });
        m_dirs = { esrgan.toStdString(), m_dir.filePath("RealESRGAN").toStdString() };
    }

    void listsBuiltInsAndModelFiles()
    {
        const QList<qd::UpscalerEntry> list = qd::listUpscalers(m_dirs);
        QStringList names;
        for (const auto& e : list)
            names << e.name;
        QCOMPARE(names, (QStringList { "None", "Lanczos", "Nearest", "4x-tiny" }));
        QCOMPARE(list.last().scale, 4);
    }

    void resizesToExactlyTheAskedSize()
    {
        const qd::Image im = gradient(40, 30);
        for (const char* name : { "None", "Lanczos", "Nearest", "4x-tiny" }) {
            QString error;
            const qd::ImageUpscaleFn up = qd::makeImageUpscaler(name, m_dirs, "cpu", &error);
            QVERIFY2(up, qPrintable(error));
            const qd::Image out = up(im, 100, 70); // 2.5x: the model's x4 output is brought down
            QCOMPARE(out.width, 100);
            QCOMPARE(out.height, 70);
            QCOMPARE(out.pixels.size(), size_t(100 * 70 * 3));
        }
        // Nearest doubling keeps the pixels
        const qd::Image twice = qd::makeImageUpscaler("Nearest", m_dirs, "cpu", nullptr)(im, 80, 60);
        QCOMPARE(twice.pixels[(size_t(2 * 80) + 6) * 3], im.pixels[(size_t(40) + 3) * 3]);
    }

    void unknownNamesAreExplained()
    {
        QString error;
        QVERIFY(!qd::makeImageUpscaler("4x-UltraSharp", m_dirs, "cpu", &error));
        QVERIFY2(error.contains("4x-UltraSharp") && error.contains("4x-tiny"), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestUpscalers)
#include "tst_upscalers.moc"
