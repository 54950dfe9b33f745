// The inpainting mask painter and its panel as a user drives them: strokes paint the mask at the
// image's size, the eraser takes it away, undo (button and Ctrl+Z) and invert give the expected mask,
// and the panel's controls travel with the parameters and the painted mask with the job.
#include <QtTest/QtTest>

#include <QComboBox>
#include <QSpinBox>
#include <QToolButton>

#include "ui/InpaintPanel.h"
#include "ui/MaskPainter.h"
#include "ui/ParameterPanel.h"

using namespace qd;

namespace
{
int at(const QImage& gray, int x, int y)
{
    return gray.constScanLine(y)[x];
}

// Drags from a to b (widget coordinates) with the left button.
void stroke(QWidget* w, QPoint a, QPoint b)
{
    QTest::mousePress(w, Qt::LeftButton, {}, a);
    for (int i = 1; i <= 6; ++i)
        QTest::mouseMove(w, a + (b - a) * i / 6);
    QTest::mouseRelease(w, Qt::LeftButton, {}, b);
}
} // namespace

class TestMaskPainter : public QObject
{
    Q_OBJECT

private slots:
    void strokesUndoInvert()
    {
        MaskPainter p;
        p.resize(200, 100); // a 400x200 image shows at half size
        QImage img(400, 200, QImage::Format_RGB888);
        img.fill(Qt::darkGreen);
        p.setImage(img);
        p.show();
        QVERIFY(QTest::qWaitForWindowExposed(&p));
        QCOMPARE(p.mask().size(), QSize(400, 200));
        QVERIFY(!p.hasMask());
        QCOMPARE(p.toImage(QPointF(100, 50)), QPointF(200, 100));

        p.setBrushSize(20);
        stroke(&p, QPoint(20, 50), QPoint(180, 50)); // image x 40..360 at y 100
        QImage m = p.mask();
        QCOMPARE(m.format(), QImage::Format_Grayscale8);
        QCOMPARE(at(m, 200, 100), 255);
        QCOMPARE(at(m, 45, 105), 255);
        QCOMPARE(at(m, 200, 120), 0); // brush radius 10
        QCOMPARE(at(m, 10, 10), 0);

        // the eraser cuts the middle out
        p.setErasing(true);
        stroke(&p, QPoint(100, 40), QPoint(100, 60));
        m = p.mask();
        QCOMPARE(at(m, 200, 100), 0);
        QCOMPARE(at(m, 100, 100), 255);
        p.setErasing(false);

        // undo (Ctrl+Z) brings the middle back, a second undo clears the first stroke
        QTest::keyClick(&p, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(at(p.mask(), 200, 100), 255);
        p.undo();
        QVERIFY(!p.hasMask());
        QVERIFY(!p.canUndo());

        // invert: the painted area becomes the kept one; undo goes back
        stroke(&p, QPoint(20, 50), QPoint(180, 50));
        p.invert();
        m = p.mask();
        QCOMPARE(at(m, 200, 100), 0);
        QCOMPARE(at(m, 10, 10), 255);
        p.undo();
        QCOMPARE(at(p.mask(), 200, 100), 255);
        QCOMPARE(at(p.mask(), 10, 10), 0);
        p.clear();
        QVERIFY(!p.hasMask());
        p.undo();
        QVERIFY(p.hasMask());
    }

    void panelCarriesParamsAndMask()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("init.png");
        QImage img(128, 96, QImage::Format_RGB888);
        img.fill(Qt::gray);
        QVERIFY(img.save(file));

        ParameterPanel panel;
        panel.setInitImage(file);
        InpaintPanel* inpaint = panel.inpaintPanel();
        QVERIFY(inpaint);
        QVERIFY(panel.maskImage().isNull()); // nothing painted
        inpaint->setChecked(true);
        QCOMPARE(inpaint->painter()->image().size(), QSize(128, 96));
        QImage mask(128, 96, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 10; y < 30; ++y)
            for (int x = 10; x < 30; ++x)
                mask.scanLine(y)[x] = 255;
        inpaint->painter()->setMask(mask);
        QCOMPARE(panel.maskImage(), mask);

        inpaint->findChild<QSpinBox*>("maskBlurSpin")->setValue(9);
        inpaint->findChild<QComboBox*>("maskedContentCombo")->setCurrentIndex(3);
        inpaint->findChild<QComboBox*>("inpaintAreaCombo")->setCurrentIndex(1);
        inpaint->findChild<QSpinBox*>("inpaintPaddingSpin")->setValue(48);
        inpaint->findChild<QComboBox*>("maskModeCombo")->setCurrentIndex(1);
        inpaint->findChild<QSpinBox*>("outpaintDown")->setValue(64);
        GenerationParams p = panel.params();
        QCOMPARE(p.maskBlurX, 9);
        QCOMPARE(p.maskBlurY, 9);
        QCOMPARE(p.inpaintingFill, 3);
        QVERIFY(p.inpaintFullRes);
        QCOMPARE(p.inpaintFullResPadding, 48);
        QVERIFY(p.maskInvert);
        QCOMPARE(p.outpaintDown, 64);

        // restored from an infotext's parameters (a dropped image): every control follows
        GenerationParams q = p;
        q.maskBlurX = q.maskBlurY = 2;
        q.inpaintingFill = 0;
        q.inpaintFullRes = false;
        q.inpaintFullResPadding = 16;
        q.maskInvert = false;
        q.outpaintDown = 0;
        panel.setParams(q);
        p = panel.params();
        QCOMPARE(p.maskBlurX, 2);
        QCOMPARE(p.inpaintingFill, 0);
        QVERIFY(!p.inpaintFullRes);
        QCOMPARE(p.inpaintFullResPadding, 16);
        QVERIFY(!p.maskInvert);
        QCOMPARE(p.outpaintDown, 0);
    }
};

QTEST_MAIN(TestMaskPainter)
#include "tst_maskpainter.moc"
