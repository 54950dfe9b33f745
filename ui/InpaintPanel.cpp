#include "ui/InpaintPanel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImageReader>
#include <QShortcut>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/MaskPainter.h"

namespace qd
{

InpaintPanel::InpaintPanel(QWidget* parent)
    : QGroupBox(tr("Inpaint / outpaint"), parent)
{
    setObjectName("inpaintGroup");
    setCheckable(true);
    setChecked(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    m_painter = new MaskPainter(this);
    m_painter->setMinimumHeight(160);
    layout->addWidget(m_painter, 1);

    // tools: brush / eraser, size, invert, clear, undo
    auto* tools = new QHBoxLayout;
    auto tool = [&](const QString& text, const char* name, const QString& tip) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setObjectName(name);
        b->setToolTip(tip);
        tools->addWidget(b);
        return b;
    };
    m_brush = tool(tr("Brush"), "maskBrush", tr("Paint the area to repaint"));
    m_eraser = tool(tr("Eraser"), "maskEraser", tr("Erase from the mask"));
    m_brush->setCheckable(true);
    m_eraser->setCheckable(true);
    m_brush->setChecked(true);
    m_brush->setAutoExclusive(true);
    m_eraser->setAutoExclusive(true);
    m_brushSize = new QSpinBox(this);
    m_brushSize->setObjectName("maskBrushSize");
    m_brushSize->setRange(1, 512);
    m_brushSize->setValue(m_painter->brushSize());
    m_brushSize->setSuffix(tr(" px"));
    m_brushSize->setToolTip(tr("Brush size in image pixels"));
    m_brushSize->setAccessibleName(tr("Brush size"));
    tools->addWidget(m_brushSize);
    tools->addStretch(1);
    layout->addLayout(tools);
    tools = new QHBoxLayout; // a second row: the panel column stays narrow enough for small screens
    QToolButton* invert = tool(tr("Invert"), "maskInvertButton", tr("Swap the painted and unpainted areas"));
    QToolButton* clear = tool(tr("Clear"), "maskClear", tr("Remove the whole mask"));
    QToolButton* undo = tool(tr("Undo"), "maskUndo", tr("Undo the last stroke (Ctrl+Z)"));
    tools->addStretch(1);
    layout->addLayout(tools);

    auto* form = new QFormLayout;
    m_blur = new QSpinBox(this);
    m_blur->setObjectName("maskBlurSpin");
    m_blur->setRange(0, 64);
    m_blur->setValue(4);
    m_blur->setSuffix(tr(" px"));
    m_blur->setToolTip(tr("How far the repainted area fades into the original"));
    form->addRow(tr("Mask &blur"), m_blur);
    m_mode = new QComboBox(this);
    m_mode->setObjectName("maskModeCombo");
    m_mode->addItems({ tr("Inpaint masked"), tr("Inpaint not masked") });
    form->addRow(tr("Mask &mode"), m_mode);
    m_content = new QComboBox(this);
    m_content->setObjectName("maskedContentCombo");
    m_content->addItems({ tr("fill"), tr("original"), tr("latent noise"), tr("latent nothing") });
    m_content->setCurrentIndex(1);
    m_content->setToolTip(tr("What the masked area starts from: its surrounding colours, the original, "
                             "noise or nothing"));
    form->addRow(tr("Masked &content"), m_content);
    m_area = new QComboBox(this);
    m_area->setObjectName("inpaintAreaCombo");
    m_area->addItems({ tr("Whole picture"), tr("Only masked") });
    m_area->setToolTip(tr("Only masked: the area around the mask is generated at the full size, then "
                          "scaled back into the picture"));
    form->addRow(tr("Inpaint &area"), m_area);
    m_padding = new QSpinBox(this);
    m_padding->setObjectName("inpaintPaddingSpin");
    m_padding->setRange(0, 256);
    m_padding->setValue(32);
    m_padding->setSuffix(tr(" px"));
    form->addRow(tr("Only masked &padding"), m_padding);

    // outpainting: px to add on each side, one row each (the column must stay narrow)
    auto side = [&](const QString& label, const char* name) {
        auto* s = new QSpinBox(this);
        s->setObjectName(name);
        s->setRange(0, 1024);
        s->setSingleStep(8);
        s->setSuffix(tr(" px"));
        s->setToolTip(tr("Extend the picture by these pixels (rounded up to 8) and paint the new area"));
        form->addRow(label, s);
        return s;
    };
    m_left = side(tr("Outpaint left"), "outpaintLeft");
    m_right = side(tr("Outpaint right"), "outpaintRight");
    m_up = side(tr("Outpaint up"), "outpaintUp");
    m_down = side(tr("Outpaint down"), "outpaintDown");
    layout->addLayout(form);

    auto* shortcut = new QShortcut(QKeySequence::Undo, this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, m_painter, &MaskPainter::undo);
    connect(m_brush, &QToolButton::toggled, this, [this](bool on) { m_painter->setErasing(!on); });
    connect(m_brushSize, &QSpinBox::valueChanged, m_painter, &MaskPainter::setBrushSize);
    connect(invert, &QToolButton::clicked, m_painter, &MaskPainter::invert);
    connect(clear, &QToolButton::clicked, m_painter, &MaskPainter::clear);
    connect(undo, &QToolButton::clicked, m_painter, &MaskPainter::undo);
    connect(m_painter, &MaskPainter::maskChanged, this, &InpaintPanel::changed);
    connect(this, &QGroupBox::toggled, this, &InpaintPanel::changed);
    for (QSpinBox* s : { m_blur, m_padding, m_left, m_right, m_up, m_down })
        connect(s, &QSpinBox::valueChanged, this, &InpaintPanel::changed);
    for (QComboBox* c : { m_mode, m_content, m_area })
        connect(c, &QComboBox::currentIndexChanged, this, &InpaintPanel::changed);
}

void InpaintPanel::setInitImage(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    m_painter->setImage(path.isEmpty() ? QImage() : reader.read());
}

QImage InpaintPanel::maskImage() const
{
    if (!isChecked() || !m_painter->hasMask())
        return {};
    return m_painter->mask();
}

void InpaintPanel::applyTo(GenerationParams& p) const
{
    if (p.maskBlurX != m_blur->value()) // a restored x / y pair that differs stays until edited
        p.maskBlurX = p.maskBlurY = m_blur->value();
    p.maskInvert = m_mode->currentIndex() == 1;
    p.inpaintingFill = m_content->currentIndex();
    p.inpaintFullRes = m_area->currentIndex() == 1;
    p.inpaintFullResPadding = m_padding->value();
    const bool on = isChecked();
    p.outpaintLeft = on ? m_left->value() : 0;
    p.outpaintRight = on ? m_right->value() : 0;
    p.outpaintUp = on ? m_up->value() : 0;
    p.outpaintDown = on ? m_down->value() : 0;
}

void InpaintPanel::setFrom(const GenerationParams& p)
{
    m_blur->setValue(p.maskBlurX);
    m_mode->setCurrentIndex(p.maskInvert ? 1 : 0);
    m_content->setCurrentIndex(qBound(0, p.inpaintingFill, 3));
    m_area->setCurrentIndex(p.inpaintFullRes ? 1 : 0);
    m_padding->setValue(p.inpaintFullResPadding);
    m_left->setValue(p.outpaintLeft);
    m_right->setValue(p.outpaintRight);
    m_up->setValue(p.outpaintUp);
    m_down->setValue(p.outpaintDown);
    if (p.inpainting)
        setChecked(true);
}

} // namespace qd
