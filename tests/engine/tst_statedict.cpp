#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"

// The generic loader every model uses: names mirror keys, shapes are checked, errors are clear.
class TestStateDict : public QObject
{
    Q_OBJECT
    struct Small : torch::nn::Module {
        Small()
        {
            lin = register_module("lin", torch::nn::Linear(3, 2));
            scale = register_buffer("scale", torch::ones({ 2 }));
        }
        torch::nn::Linear lin { nullptr };
        torch::Tensor scale;
    };

private slots:
    void copiesByName()
    {
        Small m;
        qd::StateDict sd { { "p.lin.weight", torch::full({ 2, 3 }, 2.0) },
            { "p.lin.bias", torch::full({ 2 }, 3.0, torch::kFloat16) },
            { "p.scale", torch::full({ 2 }, 4.0) }, { "p.extra", torch::zeros({ 1 }) } };
        std::vector<std::string> unexpected;
        qd::LoadOptions opt;
        opt.unexpected = &unexpected;
        QCOMPARE(qd::loadModule(m, sd, "p.", "f.safetensors", opt), 3);
        QCOMPARE(m.lin->weight.sum().item<float>(), 12.0f);
        QCOMPARE(m.lin->bias.dtype(), torch::kFloat32); // converted to the module's dtype
        QCOMPARE(m.scale.sum().item<float>(), 8.0f);
        QCOMPARE(unexpected, std::vector<std::string> { "p.extra" });
    }

    void shapeMismatchNamesKeyFileAndShapes()
    {
        Small m;
        qd::StateDict sd { { "lin.weight", torch::zeros({ 3, 2 }) }, { "lin.bias", torch::zeros({ 2 }) },
            { "scale", torch::zeros({ 2 }) } };
        try {
            qd::loadModule(m, sd, "", "model.ckpt");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("model.ckpt") && msg.contains("lin.weight") && msg.contains("[3, 2]")
                    && msg.contains("[2, 3]"),
                e.what());
        }
    }

    void missingKeyIsNamed()
    {
        Small m;
        qd::StateDict sd { { "lin.weight", torch::zeros({ 2, 3 }) } };
        try {
            qd::loadModule(m, sd, "", "x.safetensors");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("lin.bias"), e.what());
        }
    }

    void safetensorsRoundTrip()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.safetensors").toStdString();
        qd::StateDict sd { { "a", torch::randn({ 3, 5 }) }, { "b", torch::arange(6, torch::kInt64) },
            { "c", torch::randn({ 2, 2 }).to(torch::kBFloat16) } };
        qd::saveSafetensors(path, sd, { { "format", "pt" } });
        const auto back = qd::loadSafetensors(path);
        QCOMPARE(back.size(), size_t(3));
        QVERIFY(torch::equal(back.at("a"), sd.at("a")));
        QVERIFY(torch::equal(back.at("b"), sd.at("b")));
        QCOMPARE(back.at("c").dtype(), torch::kBFloat16);
        QCOMPARE(qd::safetensorsMetadata(path).at("format"), std::string("pt"));
    }

    void tinyModelsHaveEveryKey()
    {
        const auto sd1 = qd::tinyStateDict("sd1", qdtest::conformance("tiny_layouts.json"));
        QVERIFY(sd1.count("model.diffusion_model.input_blocks.0.0.weight"));
        QCOMPARE(sd1.at("model.diffusion_model.input_blocks.0.0.weight").size(1), 4);
        const auto inp = qd::tinyStateDict("sd1inp", qdtest::conformance("tiny_layouts.json"));
        QCOMPARE(inp.at("model.diffusion_model.input_blocks.0.0.weight").size(1), 9);
        QCOMPARE(inp.size(), sd1.size());
        QVERIFY(qdtest::golden("sd1/unet.out").numel() > 0);
    }
};

QTEST_APPLESS_MAIN(TestStateDict)
#include "tst_statedict.moc"
