#include <QtTest/QtTest>

#include "core/engine/models/FillRule.h"

// The fill rule is the ground every conformance test stands on: check it against the README's
// published values.
class TestFillRule : public QObject
{
    Q_OBJECT
private slots:
    void fnvMatchesReadme() { QCOMPARE(qd::fnv1a32("abc"), 440920331u); }

    void firstValuesMatchReadme()
    {
        auto t = qd::fillRuleTensor(
            "model.diffusion_model.input_blocks.1.0.in_layers.2.weight", { 32, 32, 3, 3 });
        const float* v = t.data_ptr<float>();
        const float expected[] = { -0.0828f, -0.0352f, -0.0192f, 0.0076f };
        for (int i = 0; i < 4; ++i)
            QVERIFY2(
                std::abs(v[i] - expected[i]) < 5e-5, qPrintable(QString("value %1 is %2").arg(i).arg(v[i])));
    }

    void branchesFollowShapeAndName()
    {
        auto norm = qd::fillRuleTensor("x.norm.weight", { 1000 });
        QVERIFY(norm.min().item<float>() >= 0.9f && norm.max().item<float>() < 1.1f);
        QVERIFY(norm.max().item<float>() > 1.09f); // really spans the range
        auto bias = qd::fillRuleTensor("x.norm.bias", { 1000 });
        QVERIFY(bias.abs().max().item<float>() <= 0.02f);
        auto emb = qd::fillRuleTensor("cond.token_embedding.weight", { 100, 16 });
        QVERIFY(emb.abs().max().item<float>() <= 0.02f * std::sqrt(3.0f) + 1e-7f);
        auto lin = qd::fillRuleTensor("x.proj.weight", { 8, 300 });
        QVERIFY(lin.abs().max().item<float>() <= 0.1f + 1e-7f); // sqrt(3)/sqrt(300)
        QVERIFY(lin.abs().max().item<float>() > 0.09f);
    }
};

QTEST_APPLESS_MAIN(TestFillRule)
#include "tst_fillrule.moc"
