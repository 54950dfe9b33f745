<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>main</name>
    <message>
        <source>Native desktop studio for Stable Diffusion</source>
        <translation>Stable Diffusion 原生桌面创作工具</translation>
    </message>
    <message>
        <source>User interface language, e.g. zh_CN or en.</source>
        <translation>界面语言，例如 zh_CN 或 en。</translation>
    </message>
    <message>
        <source>An image whose generation parameters to restore.</source>
        <translation>要恢复其生成参数的图像。</translation>
    </message>
    <message>
        <source>Queue a generation of the form as soon as the window opens.</source>
        <translation>窗口打开后立即按表单内容排队生成。</translation>
    </message>
    <message>
        <source>Batch count of the form (images made one after another).</source>
        <translation>表单的批次数（依次生成的图像数量）。</translation>
    </message>
</context>
<context>
    <name>qd::ControlNetPanel</name>
    <message>
        <source>ControlNet Unit %1 ✓</source>
        <translation>ControlNet 单元 %1 ✓</translation>
    </message>
    <message>
        <source>ControlNet Unit %1</source>
        <translation>ControlNet 单元 %1</translation>
    </message>
    <message>
        <source>This unit is on</source>
        <translation>此单元已启用</translation>
    </message>
    <message>
        <source>This unit is off</source>
        <translation>此单元未启用</translation>
    </message>
</context>
<context>
    <name>qd::ControlUnitTab</name>
    <message>
        <source>Low Threshold</source>
        <translation>低阈值</translation>
    </message>
    <message>
        <source>High Threshold</source>
        <translation>高阈值</translation>
    </message>
    <message>
        <source>XDoG Threshold</source>
        <translation>XDoG 阈值</translation>
    </message>
    <message>
        <source>Binarization Threshold</source>
        <translation>二值化阈值</translation>
    </message>
    <message>
        <source>Smoothing Sigma</source>
        <translation>平滑 Sigma</translation>
    </message>
    <message>
        <source>Sigma</source>
        <translation>Sigma</translation>
    </message>
    <message>
        <source>Down Sampling Rate</source>
        <translation>下采样率</translation>
    </message>
    <message>
        <source>Gamma Correction</source>
        <translation>伽马校正</translation>
    </message>
    <message>
        <source>&amp;Enable</source>
        <translation>启用(&amp;E)</translation>
    </message>
    <message>
        <source>Pi&amp;xel Perfect</source>
        <translation>完美像素(&amp;X)</translation>
    </message>
    <message>
        <source>Make the map at the resolution that lands 1:1 on the generated image</source>
        <translation>按与生成图像 1:1 对应的分辨率制作控制图</translation>
    </message>
    <message>
        <source>Allow pre&amp;view</source>
        <translation>允许预览(&amp;V)</translation>
    </message>
    <message>
        <source>Show the preprocessed map beside the picture</source>
        <translation>在图片旁显示预处理后的控制图</translation>
    </message>
    <message>
        <source>Paste Picture</source>
        <translation>粘贴图片</translation>
    </message>
    <message>
        <source>ControlNet picture</source>
        <translation>ControlNet 图片</translation>
    </message>
    <message>
        <source>Preprocessed map</source>
        <translation>预处理结果</translation>
    </message>
    <message>
        <source>The preprocessed map</source>
        <translation>预处理结果</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>Pas&amp;te</source>
        <translation>粘贴(&amp;T)</translation>
    </message>
    <message>
        <source>Use the picture on the clipboard (Ctrl+V)</source>
        <translation>使用剪贴板中的图片 (Ctrl+V)</translation>
    </message>
    <message>
        <source>&amp;Clear</source>
        <translation>清除(&amp;C)</translation>
    </message>
    <message>
        <source>Pre&amp;processor</source>
        <translation>预处理器(&amp;P)</translation>
    </message>
    <message>
        <source>Read the ControlNet folders again</source>
        <translation>重新读取 ControlNet 文件夹</translation>
    </message>
    <message>
        <source>Refresh the ControlNet models</source>
        <translation>刷新 ControlNet 模型</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>The shorter side of the map the preprocessor makes</source>
        <translation>预处理器生成的控制图的短边长度</translation>
    </message>
    <message>
        <source>Processor &amp;resolution</source>
        <translation>预处理分辨率(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Weight</source>
        <translation>权重(&amp;W)</translation>
    </message>
    <message>
        <source>The fraction of the steps where the ControlNet starts to guide</source>
        <translation>ControlNet 开始引导时已完成的步数比例</translation>
    </message>
    <message>
        <source>Guidance &amp;start</source>
        <translation>引导开始(&amp;S)</translation>
    </message>
    <message>
        <source>The fraction of the steps where the ControlNet stops guiding</source>
        <translation>ControlNet 停止引导时已完成的步数比例</translation>
    </message>
    <message>
        <source>Guidance e&amp;nd</source>
        <translation>引导结束(&amp;N)</translation>
    </message>
    <message>
        <source>Control mode</source>
        <translation>控制模式</translation>
    </message>
    <message>
        <source>Balance&amp;d</source>
        <translation>均衡(&amp;D)</translation>
    </message>
    <message>
        <source>My prompt is more &amp;important</source>
        <translation>提示词更重要(&amp;I)</translation>
    </message>
    <message>
        <source>ControlNet is more imp&amp;ortant</source>
        <translation>ControlNet 更重要(&amp;O)</translation>
    </message>
    <message>
        <source>Resize mode</source>
        <translation>缩放模式</translation>
    </message>
    <message>
        <source>&amp;Just Resize</source>
        <translation>仅调整大小(&amp;J)</translation>
    </message>
    <message>
        <source>Crop and Resi&amp;ze</source>
        <translation>裁剪后缩放(&amp;Z)</translation>
    </message>
    <message>
        <source>Resize and &amp;Fill</source>
        <translation>缩放后填充(&amp;F)</translation>
    </message>
    <message>
        <source>%1 cannot run here: %2</source>
        <translation>%1 无法在此运行：%2</translation>
    </message>
    <message>
        <source>Choose a ControlNet picture</source>
        <translation>选择 ControlNet 图片</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>qd::ExportDialog</name>
    <message numerus="yes">
        <source>Export %n Image(s)</source>
        <translation>
            <numerusform>导出 %n 张图像</numerusform>
        </translation>
    </message>
    <message>
        <source>JPEG and WebP quality; WebP at 100 is lossless</source>
        <translation>JPEG 与 WebP 的质量；WebP 为 100 时无损</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>Tokens: {index} {id} {seed} {model} {sampler} {steps} {cfg} {width} {height} {date} {time} {prompt} {name}</source>
        <translation>可用标记：{index} {id} {seed} {model} {sampler} {steps} {cfg} {width} {height} {date} {time} {prompt} {name}</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Format</source>
        <translation>格式(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quality</source>
        <translation>质量(&amp;Q)</translation>
    </message>
    <message>
        <source>F&amp;older</source>
        <translation>文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>File &amp;names</source>
        <translation>文件名(&amp;N)</translation>
    </message>
    <message>
        <source>First file</source>
        <translation>第一个文件</translation>
    </message>
    <message>
        <source>The generation parameters are embedded in every exported file.</source>
        <translation>每个导出的文件都嵌入了生成参数。</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>%1: cannot create the folder</source>
        <translation>%1：无法创建该文件夹</translation>
    </message>
    <message>
        <source>%1: cannot read the image</source>
        <translation>%1：无法读取该图像</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) exported</source>
        <translation>
            <numerusform>已导出 %n 张图像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n 张失败</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>qd::ExtraNetworksPanel</name>
    <message>
        <source>Made for: %1</source>
        <translation>适用于：%1</translation>
    </message>
    <message>
        <source>Trained on: %1</source>
        <translation>训练于：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n vector(s): uses %n token(s)</source>
        <translation>
            <numerusform>%n 个向量：占用 %n 个词元</numerusform>
        </translation>
    </message>
    <message>
        <source>Trained for %1 steps</source>
        <translation>训练了 %1 步</translation>
    </message>
    <message>
        <source>Can&apos;t be used: %1</source>
        <translation>无法使用：%1</translation>
    </message>
    <message>
        <source>Click to insert %1 into the prompt</source>
        <translation>点击将 %1 插入提示词</translation>
    </message>
    <message>
        <source>Reading the folders…</source>
        <translation>正在读取文件夹…</translation>
    </message>
    <message>
        <source>Nothing matches “%1”.</source>
        <translation>没有与“%1”匹配的项。</translation>
    </message>
    <message>
        <source>No LoRA folder yet: put LoRA files in models/Lora inside a model folder.</source>
        <translation>还没有 LoRA 文件夹：请把 LoRA 文件放到模型文件夹中的 models/Lora。</translation>
    </message>
    <message>
        <source>No embeddings folder yet: put textual-inversion files in embeddings inside a model folder.</source>
        <translation>还没有嵌入文件夹：请把文本反演文件放到模型文件夹中的 embeddings。</translation>
    </message>
    <message>
        <source>No LoRA files in %1.</source>
        <translation>%1 中没有 LoRA 文件。</translation>
    </message>
    <message>
        <source>No embedding files in %1.</source>
        <translation>%1 中没有嵌入文件。</translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <source>Textual Inversion</source>
        <translation>文本反演</translation>
    </message>
    <message>
        <source>Search names…</source>
        <translation>搜索名称…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Read the LoRA and embedding folders again</source>
        <translation>重新读取 LoRA 和嵌入文件夹</translation>
    </message>
</context>
<context>
    <name>qd::HiresPanel</name>
    <message>
        <source>Hires. fix</source>
        <translation>高清修复</translation>
    </message>
    <message>
        <source>Generate at the base size, upscale, then repaint the details in a second pass</source>
        <translation>先按基础尺寸生成，放大后再用第二遍重绘细节</translation>
    </message>
    <message>
        <source>&amp;Upscaler</source>
        <translation>放大算法(&amp;U)</translation>
    </message>
    <message>
        <source>Same as sampling</source>
        <translation>与采样相同</translation>
    </message>
    <message>
        <source>Steps of the second pass; 0 uses the sampling steps</source>
        <translation>第二遍的步数；0 表示使用采样步数</translation>
    </message>
    <message>
        <source>Hires s&amp;teps</source>
        <translation>高清步数(&amp;T)</translation>
    </message>
    <message>
        <source>How much the second pass repaints the upscaled image</source>
        <translation>第二遍对放大后图像的重绘程度</translation>
    </message>
    <message>
        <source>&amp;Denoising strength</source>
        <translation>重绘幅度(&amp;D)</translation>
    </message>
    <message>
        <source>Used while both resize fields are 0</source>
        <translation>两个调整尺寸字段都为 0 时使用</translation>
    </message>
    <message>
        <source>Upscale &amp;by</source>
        <translation>放大倍数(&amp;B)</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>0: from the scale (or from the other side, keeping the aspect ratio)</source>
        <translation>0：按倍数计算（或按另一边计算并保持宽高比）</translation>
    </message>
    <message>
        <source>&amp;Resize to</source>
        <translation>调整尺寸为(&amp;R)</translation>
    </message>
    <message>
        <source>Hires sa&amp;mpler</source>
        <translation>高清采样器(&amp;M)</translation>
    </message>
    <message>
        <source>Hires sc&amp;hedule</source>
        <translation>高清调度类型(&amp;H)</translation>
    </message>
    <message>
        <source>Hires prompt (empty: the prompt)</source>
        <translation>高清提示词（留空：使用提示词）</translation>
    </message>
    <message>
        <source>Hires negative prompt (empty: the negative prompt)</source>
        <translation>高清反向提示词（留空：使用反向提示词）</translation>
    </message>
    <message>
        <source>Use same sampler</source>
        <translation>使用相同采样器</translation>
    </message>
    <message>
        <source>Use same schedule</source>
        <translation>使用相同调度类型</translation>
    </message>
    <message>
        <source>%1 × %2 → %3 × %4</source>
        <translation>%1 × %2 → %3 × %4</translation>
    </message>
    <message>
        <source>The upscaled size must be a multiple of 8.</source>
        <translation>放大后的尺寸必须是 8 的倍数。</translation>
    </message>
</context>
<context>
    <name>qd::HistoryGallery</name>
    <message>
        <source>Images</source>
        <translation>图像</translation>
    </message>
    <message>
        <source>Search prompts…  (&quot;a phrase&quot;, -exclude)</source>
        <translation>搜索提示词…（&quot;短语&quot;，-排除）</translation>
    </message>
    <message>
        <source>Search prompts</source>
        <translation>搜索提示词</translation>
    </message>
    <message>
        <source>Model filter</source>
        <translation>模型筛选</translation>
    </message>
    <message>
        <source>Sampler filter</source>
        <translation>采样器筛选</translation>
    </message>
    <message>
        <source>Date filter</source>
        <translation>日期筛选</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>任何时间</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>Last 365 days</source>
        <translation>最近 365 天</translation>
    </message>
    <message>
        <source>Favourites</source>
        <translation>收藏</translation>
    </message>
    <message>
        <source>Show favourites only</source>
        <translation>只显示收藏</translation>
    </message>
    <message>
        <source>Sort order</source>
        <translation>排序方式</translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation>最新在前</translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation>最早在前</translation>
    </message>
    <message>
        <source>Highest rated first</source>
        <translation>评分最高在前</translation>
    </message>
    <message>
        <source>Thumbnail size</source>
        <translation>缩略图大小</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Favourite (F)</source>
        <translation>收藏 (F)</translation>
    </message>
    <message numerus="yes">
        <source>Rate %n star(s) (%n)</source>
        <translation>
            <numerusform>评为 %n 星 (%n)</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Restore All Parameters</source>
        <translation>恢复全部参数(&amp;R)</translation>
    </message>
    <message>
        <source>Reuse &amp;Seed</source>
        <translation>复用种子(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Copy Infotext</source>
        <translation>复制参数文本(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Reveal in &amp;Folder</source>
        <translation>在文件夹中显示(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Favourite</source>
        <translation>收藏(&amp;F)</translation>
    </message>
    <message numerus="yes">
        <source>Rate %n Star(s)</source>
        <translation>
            <numerusform>评为 %n 星</numerusform>
        </translation>
    </message>
    <message>
        <source>Clear Rating</source>
        <translation>清除评分</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Undo Delete</source>
        <translation>撤销删除(&amp;U)</translation>
    </message>
    <message>
        <source>All models</source>
        <translation>全部模型</translation>
    </message>
    <message>
        <source>All samplers</source>
        <translation>全部采样器</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n 张图像</numerusform>
        </translation>
    </message>
    <message>
        <source>Select an image to see its parameters.</source>
        <translation>选择一张图像以查看其参数。</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) selected</source>
        <translation>
            <numerusform>已选择 %n 张图像</numerusform>
        </translation>
    </message>
    <message>
        <source>Negative prompt:</source>
        <translation>反向提示词：</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Schedule type</source>
        <translation>调度类型</translation>
    </message>
    <message>
        <source>CFG scale</source>
        <translation>CFG 系数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Clip skip</source>
        <translation>Clip 跳过层</translation>
    </message>
    <message>
        <source>Denoising strength</source>
        <translation>重绘幅度</translation>
    </message>
    <message>
        <source>Variation seed</source>
        <translation>变异种子</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>The image file cannot be read</source>
        <translation>无法读取该图像文件</translation>
    </message>
    <message>
        <source>Parameters copied</source>
        <translation>参数已复制</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) deleted. Undo with Ctrl+Z in the gallery.</source>
        <translation>
            <numerusform>已删除 %n 张图像。在图库中按 Ctrl+Z 可撤销。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) restored</source>
        <translation>
            <numerusform>已恢复 %n 张图像</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>qd::InitImageView</name>
    <message>
        <source>Init image</source>
        <translation>初始图像</translation>
    </message>
    <message>
        <source>Drop an image here or click to choose one</source>
        <translation>将图像拖放到此处，或点击选择</translation>
    </message>
    <message>
        <source>%1
%2 × %3</source>
        <translation>%1
%2 × %3</translation>
    </message>
    <message>
        <source>Drop an image here
or click to browse</source>
        <translation>将图像拖放到此处
或点击浏览</translation>
    </message>
    <message>
        <source>Cannot read this image</source>
        <translation>无法读取此图像</translation>
    </message>
    <message>
        <source>%1 × %2</source>
        <translation>%1 × %2</translation>
    </message>
</context>
<context>
    <name>qd::InpaintPanel</name>
    <message>
        <source>Inpaint / outpaint</source>
        <translation>局部重绘 / 扩图</translation>
    </message>
    <message>
        <source>Brush</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Paint the area to repaint</source>
        <translation>涂抹要重绘的区域</translation>
    </message>
    <message>
        <source>Eraser</source>
        <translation>橡皮擦</translation>
    </message>
    <message>
        <source>Erase from the mask</source>
        <translation>从蒙版中擦除</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Brush size in image pixels</source>
        <translation>画笔大小（图像像素）</translation>
    </message>
    <message>
        <source>Brush size</source>
        <translation>画笔大小</translation>
    </message>
    <message>
        <source>Invert</source>
        <translation>反转</translation>
    </message>
    <message>
        <source>Swap the painted and unpainted areas</source>
        <translation>交换已涂抹和未涂抹的区域</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Remove the whole mask</source>
        <translation>清除整个蒙版</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo the last stroke (Ctrl+Z)</source>
        <translation>撤销上一笔（Ctrl+Z）</translation>
    </message>
    <message>
        <source>How far the repainted area fades into the original</source>
        <translation>重绘区域渐变融入原图的范围</translation>
    </message>
    <message>
        <source>Mask &amp;blur</source>
        <translation>蒙版模糊(&amp;B)</translation>
    </message>
    <message>
        <source>Inpaint masked</source>
        <translation>重绘蒙版内</translation>
    </message>
    <message>
        <source>Inpaint not masked</source>
        <translation>重绘蒙版外</translation>
    </message>
    <message>
        <source>Mask &amp;mode</source>
        <translation>蒙版模式(&amp;M)</translation>
    </message>
    <message>
        <source>fill</source>
        <translation>填充</translation>
    </message>
    <message>
        <source>original</source>
        <translation>原图</translation>
    </message>
    <message>
        <source>latent noise</source>
        <translation>潜空间噪声</translation>
    </message>
    <message>
        <source>latent nothing</source>
        <translation>潜空间置零</translation>
    </message>
    <message>
        <source>What the masked area starts from: its surrounding colours, the original, noise or nothing</source>
        <translation>蒙版区域的起点：周围的颜色、原图、噪声或空白</translation>
    </message>
    <message>
        <source>Masked &amp;content</source>
        <translation>蒙版内容(&amp;C)</translation>
    </message>
    <message>
        <source>Whole picture</source>
        <translation>整张图片</translation>
    </message>
    <message>
        <source>Only masked</source>
        <translation>仅蒙版区域</translation>
    </message>
    <message>
        <source>Only masked: the area around the mask is generated at the full size, then scaled back into the picture</source>
        <translation>仅蒙版区域：蒙版周围的区域以完整尺寸生成，再缩放回图片中</translation>
    </message>
    <message>
        <source>Inpaint &amp;area</source>
        <translation>重绘区域(&amp;A)</translation>
    </message>
    <message>
        <source>Only masked &amp;padding</source>
        <translation>仅蒙版区域边距(&amp;P)</translation>
    </message>
    <message>
        <source>Extend the picture by these pixels (rounded up to 8) and paint the new area</source>
        <translation>按这些像素（向上取整到 8 的倍数）扩展图片并绘制新区域</translation>
    </message>
    <message>
        <source>Outpaint left</source>
        <translation>向左扩图</translation>
    </message>
    <message>
        <source>Outpaint right</source>
        <translation>向右扩图</translation>
    </message>
    <message>
        <source>Outpaint up</source>
        <translation>向上扩图</translation>
    </message>
    <message>
        <source>Outpaint down</source>
        <translation>向下扩图</translation>
    </message>
</context>
<context>
    <name>qd::LivePreview</name>
    <message>
        <source>Write a prompt and press Generate (Ctrl+Enter).
Each step appears here as it is made.</source>
        <translation>输入提示词并点击“生成”（Ctrl+Enter）。
每一步生成的画面都会实时显示在这里。</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>Show each new step as it arrives</source>
        <translation>每一步完成后立即显示</translation>
    </message>
    <message>
        <source>%1 s/it</source>
        <translation>%1 秒/步</translation>
    </message>
    <message>
        <source>%1 it/s</source>
        <translation>%1 步/秒</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>Step %1 / %2</source>
        <translation>第 %1 / %2 步</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>%1 · step %2</source>
        <translation>%1 · 第 %2 步</translation>
    </message>
    <message>
        <source>Step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>Final</source>
        <translation>最终</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>qd::MainWindow</name>
    <message>
        <source>The AUTOMATIC1111 API this window serves (Settings)</source>
        <translation>此窗口提供的 AUTOMATIC1111 API（设置）</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an IP address</source>
        <translation>“%1”不是 IP 地址</translation>
    </message>
    <message>
        <source>serving on %1 would let other computers generate here: set credentials first</source>
        <translation>在 %1 上提供服务会让其他计算机在此生成图像：请先设置凭据</translation>
    </message>
    <message>
        <source>The HTTP API is not served: %1</source>
        <translation>未提供 HTTP API：%1</translation>
    </message>
    <message>
        <source>API: %1</source>
        <translation>API：%1</translation>
    </message>
    <message>
        <source>QDiffusion</source>
        <translation>QDiffusion</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>创作</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Parameters restored</source>
        <translation>参数已恢复</translation>
    </message>
    <message>
        <source>Seed %1 set</source>
        <translation>种子已设为 %1</translation>
    </message>
    <message>
        <source>The history cannot be opened: %1</source>
        <translation>无法打开历史记录：%1</translation>
    </message>
    <message>
        <source>&amp;Prompt</source>
        <translation>提示词(&amp;P)</translation>
    </message>
    <message>
        <source>Describe the image, e.g. a lighthouse at dawn, (oil painting:1.2)</source>
        <translation>描述图像，例如 a lighthouse at dawn, (oil painting:1.2)</translation>
    </message>
    <message>
        <source>&amp;Negative prompt</source>
        <translation>反向提示词(&amp;N)</translation>
    </message>
    <message>
        <source>What to keep out of the image, e.g. blurry, text</source>
        <translation>不希望出现在图像中的内容，例如 blurry, text</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Add a job with these settings to the queue (Ctrl+Enter)</source>
        <translation>以当前设置添加一个任务到队列（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Interrupt</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>Stop now and keep the image as it is (Ctrl+.)</source>
        <translation>立即停止，并保留当前状态的图像（Ctrl+.）</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>Drop the running job and go on with the next (Ctrl+Shift+N)</source>
        <translation>放弃正在运行的任务，继续下一个（Ctrl+Shift+N）</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <source>Jobs waiting in the queue</source>
        <translation>队列中等待的任务</translation>
    </message>
    <message>
        <source>Speed of the running job</source>
        <translation>正在运行任务的速度</translation>
    </message>
    <message>
        <source>Memory used by QDiffusion</source>
        <translation>QDiffusion 使用的内存</translation>
    </message>
    <message>
        <source>Where the model runs</source>
        <translation>模型运行的设备</translation>
    </message>
    <message>
        <source>The selected checkpoint</source>
        <translation>所选的模型文件</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Loading model %1…</source>
        <translation>正在加载模型 %1…</translation>
    </message>
    <message>
        <source>Model: %1 (%2)</source>
        <translation>模型：%1（%2）</translation>
    </message>
    <message>
        <source>Device: %1 · %2</source>
        <translation>设备：%1 · %2</translation>
    </message>
    <message>
        <source>Model %1 loaded</source>
        <translation>模型 %1 已加载</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>Finished in %1 s</source>
        <translation>用时 %1 秒完成</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>%1 carries no generation parameters</source>
        <translation>%1 不含生成参数</translation>
    </message>
    <message>
        <source>Parameters restored from %1</source>
        <translation>已从 %1 恢复参数</translation>
    </message>
    <message>
        <source>Job %1 queued</source>
        <translation>任务 %1 已加入队列</translation>
    </message>
    <message>
        <source>Interrupting…</source>
        <translation>正在中断…</translation>
    </message>
    <message>
        <source>Skipping…</source>
        <translation>正在跳过…</translation>
    </message>
    <message numerus="yes">
        <source>Queue: %n waiting (paused)</source>
        <translation>
            <numerusform>队列：%n 个等待中（已暂停）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Queue: %n waiting</source>
        <translation>
            <numerusform>队列：%n 个等待中</numerusform>
        </translation>
    </message>
    <message>
        <source>Memory: %1</source>
        <translation>内存：%1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open Image Parameters…</source>
        <translation>从图像读取参数(&amp;O)…</translation>
    </message>
    <message>
        <source>Restore parameters from an image</source>
        <translation>从图像恢复参数</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp)</translation>
    </message>
    <message>
        <source>&amp;Import Folder into History…</source>
        <translation>将文件夹导入历史(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>剪切(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>复制(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>粘贴(&amp;P)</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>全选(&amp;A)</translation>
    </message>
    <message>
        <source>Edit &amp;Prompt</source>
        <translation>编辑提示词(&amp;P)</translation>
    </message>
    <message>
        <source>Edit &amp;Negative Prompt</source>
        <translation>编辑反向提示词(&amp;N)</translation>
    </message>
    <message>
        <source>Edit Para&amp;meters</source>
        <translation>编辑参数(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Generation</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Interrupt</source>
        <translation>中断(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Skip</source>
        <translation>跳过(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Pause Queue</source>
        <translation>暂停队列(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Random Seed</source>
        <translation>随机种子(&amp;R)</translation>
    </message>
    <message>
        <source>Reuse &amp;Last Seed</source>
        <translation>复用上次种子(&amp;L)</translation>
    </message>
    <message>
        <source>Lock See&amp;d</source>
        <translation>锁定种子(&amp;D)</translation>
    </message>
    <message>
        <source>S&amp;wap Width and Height</source>
        <translation>交换宽高(&amp;W)</translation>
    </message>
    <message>
        <source>Pr&amp;esets</source>
        <translation>预设(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Image</source>
        <translation>图像(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Create</source>
        <translation>创作(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;History</source>
        <translation>历史(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Search History</source>
        <translation>搜索历史(&amp;S)</translation>
    </message>
    <message>
        <source>Follow &amp;Live Preview</source>
        <translation>跟随实时预览(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Full Screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About QDiffusion</source>
        <translation>关于 QDiffusion(&amp;A)</translation>
    </message>
    <message>
        <source>Preset %1 applied</source>
        <translation>已应用预设 %1</translation>
    </message>
    <message>
        <source>No presets (add them in settings.yaml)</source>
        <translation>没有预设（可在 settings.yaml 中添加）</translation>
    </message>
    <message>
        <source>The new language takes effect when QDiffusion starts again</source>
        <translation>新的语言将在 QDiffusion 重新启动后生效</translation>
    </message>
    <message>
        <source>Import a folder of generated images</source>
        <translation>导入一个包含生成图像的文件夹</translation>
    </message>
    <message>
        <source>Importing %1…</source>
        <translation>正在导入 %1…</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) imported</source>
        <translation>
            <numerusform>已导入 %n 张图像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already there</source>
        <translation>
            <numerusform>%n 张已存在</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n without parameters</source>
        <translation>
            <numerusform>%n 张不含参数</numerusform>
        </translation>
    </message>
    <message>
        <source>About QDiffusion</source>
        <translation>关于 QDiffusion</translation>
    </message>
    <message>
        <source>QDiffusion %1
A native desktop studio for Stable Diffusion.</source>
        <translation>QDiffusion %1
Stable Diffusion 原生桌面创作工具。</translation>
    </message>
    <message>
        <source>%1 has no parameters; set as the init image</source>
        <translation>%1 不含参数，已设为初始图像</translation>
    </message>
    <message>
        <source>The pasted text holds no generation parameters</source>
        <translation>粘贴的文本不含生成参数</translation>
    </message>
    <message>
        <source>Parameters restored from the pasted text</source>
        <translation>已从粘贴的文本恢复参数</translation>
    </message>
    <message>
        <source>Paste &amp;Generation Parameters</source>
        <translation>粘贴生成参数(&amp;G)</translation>
    </message>
    <message>
        <source>Extra Networks</source>
        <translation>附加网络</translation>
    </message>
    <message>
        <source>&amp;X/Y/Z Plot…</source>
        <translation>&amp;X/Y/Z 图表…</translation>
    </message>
    <message>
        <source>&amp;Upscale…</source>
        <translation>放大(&amp;U)…</translation>
    </message>
    <message>
        <source>Upscaled image saved as %1</source>
        <translation>放大后的图像已保存为 %1</translation>
    </message>
    <message>
        <source>ControlNet</source>
        <translation>ControlNet</translation>
    </message>
</context>
<context>
    <name>qd::MaskPainter</name>
    <message>
        <source>Inpainting mask</source>
        <translation>重绘蒙版</translation>
    </message>
    <message>
        <source>Paint the area to repaint; Ctrl+Z undoes a stroke</source>
        <translation>涂抹要重绘的区域；Ctrl+Z 撤销一笔</translation>
    </message>
    <message>
        <source>Choose an init image to paint a mask on</source>
        <translation>请选择一张初始图像以绘制蒙版</translation>
    </message>
</context>
<context>
    <name>qd::ParameterPanel</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Sa&amp;mpler</source>
        <translation>采样器(&amp;M)</translation>
    </message>
    <message>
        <source>Schedule t&amp;ype</source>
        <translation>调度类型(&amp;Y)</translation>
    </message>
    <message>
        <source>Sampling steps</source>
        <translation>采样步数</translation>
    </message>
    <message>
        <source>S&amp;teps</source>
        <translation>步数(&amp;T)</translation>
    </message>
    <message>
        <source>CFG scale</source>
        <translation>CFG 系数</translation>
    </message>
    <message>
        <source>&amp;CFG scale</source>
        <translation>CFG 系数(&amp;C)</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>-1 picks a new random seed for every image</source>
        <translation>-1 表示每张图像都使用新的随机种子</translation>
    </message>
    <message>
        <source>Random seed (-1)</source>
        <translation>随机种子 (-1)</translation>
    </message>
    <message>
        <source>Reuse the last image&apos;s seed</source>
        <translation>复用上一张图像的种子</translation>
    </message>
    <message>
        <source>&amp;Lock</source>
        <translation>锁定(&amp;L)</translation>
    </message>
    <message>
        <source>Keep this seed when parameters are restored from the gallery or a dropped image</source>
        <translation>从图库或拖入的图像恢复参数时保留此种子</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <source>Swap width and height</source>
        <translation>交换宽度和高度</translation>
    </message>
    <message>
        <source>Aspect</source>
        <translation>宽高比</translation>
    </message>
    <message>
        <source>Aspect ratio presets at the model&apos;s native size</source>
        <translation>按模型原生尺寸的宽高比预设</translation>
    </message>
    <message>
        <source>&amp;Width</source>
        <translation>宽度(&amp;W)</translation>
    </message>
    <message>
        <source>He&amp;ight</source>
        <translation>高度(&amp;I)</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批量</translation>
    </message>
    <message>
        <source>How many times to run the model, one after the other</source>
        <translation>依次运行模型的次数</translation>
    </message>
    <message>
        <source>Images made together in one run (needs more memory)</source>
        <translation>一次运行中同时生成的图像数（需要更多内存）</translation>
    </message>
    <message>
        <source>1 uses the text encoder&apos;s last layer, 2 the one before it, ...</source>
        <translation>1 使用文本编码器的最后一层，2 使用倒数第二层，以此类推</translation>
    </message>
    <message>
        <source>Batch c&amp;ount</source>
        <translation>批次数(&amp;O)</translation>
    </message>
    <message>
        <source>Batch si&amp;ze</source>
        <translation>每批数量(&amp;Z)</translation>
    </message>
    <message>
        <source>Clip s&amp;kip</source>
        <translation>Clip 跳过层(&amp;K)</translation>
    </message>
    <message>
        <source>Image to image</source>
        <translation>图生图</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>How much of the init image is repainted: 0 keeps it, 1 replaces it</source>
        <translation>初始图像被重绘的程度：0 保持不变，1 完全替换</translation>
    </message>
    <message>
        <source>Denoising strength</source>
        <translation>重绘幅度</translation>
    </message>
    <message>
        <source>&amp;Denoising strength</source>
        <translation>重绘幅度(&amp;D)</translation>
    </message>
    <message>
        <source>Choose an init image</source>
        <translation>选择初始图像</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation>图像 (*.png *.jpg *.jpeg *.webp *.bmp)</translation>
    </message>
    <message>
        <source>Reuse the last image&apos;s seed (%1)</source>
        <translation>复用上一张图像的种子（%1）</translation>
    </message>
    <message>
        <source>Demo model (built in)</source>
        <translation>演示模型（内置）</translation>
    </message>
    <message>
        <source>A tiny model whose weights follow a fixed rule: it draws abstract images. Put checkpoints in the models folder to use real ones.</source>
        <translation>一个权重按固定规则生成的微型模型，会绘制抽象图像。将模型文件放入模型文件夹即可使用真实模型。</translation>
    </message>
    <message>
        <source>Automatic: a NAME.vae.pt, .vae.ckpt or .vae.safetensors file beside the checkpoint (or in a VAE folder); None: the VAE inside the checkpoint</source>
        <translation>自动：使用模型文件旁（或 VAE 文件夹中）同名的 NAME.vae.pt、.vae.ckpt 或 .vae.safetensors 文件；无：使用模型文件自带的 VAE</translation>
    </message>
    <message>
        <source>V&amp;AE</source>
        <translation>VAE(&amp;A)</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>E&amp;xtra</source>
        <translation>更多(&amp;X)</translation>
    </message>
    <message>
        <source>Variation seed and resize-seed-from, as in AUTOMATIC1111</source>
        <translation>变异种子与“从尺寸调整种子”，与 AUTOMATIC1111 相同</translation>
    </message>
    <message>
        <source>Variation seed</source>
        <translation>变异种子</translation>
    </message>
    <message>
        <source>0 keeps the seed&apos;s image; 1 is the variation seed&apos;s</source>
        <translation>0 保持原种子的图像；1 为变异种子的图像</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Variation strength</source>
        <translation>变异强度</translation>
    </message>
    <message>
        <source>Resize seed from</source>
        <translation>从尺寸调整种子</translation>
    </message>
    <message>
        <source>QDiffusion&apos;s own small model, trained to draw coloured shapes (circle, square, triangle, star, ring, cross) on a plain background at 128 × 128, e.g. &quot;a red star on a blue background&quot;. Put checkpoints in the models folder to use real ones.</source>
        <translation>QDiffusion 自己训练的小模型：在纯色背景上画彩色形状（圆形、正方形、三角形、星形、圆环、十字），128 × 128，例如“a red star on a blue background”。把检查点放进模型文件夹即可使用真正的模型。</translation>
    </message>
</context>
<context>
    <name>qd::PreviewCanvas</name>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
</context>
<context>
    <name>qd::PromptEditor</name>
    <message>
        <source>Tokens used / tokens available in the chunks of 75 the prompt fills</source>
        <translation>已用词元数 / 提示词所占 75 词元分块的总容量</translation>
    </message>
    <message>
        <source>Recent</source>
        <translation>最近</translation>
    </message>
    <message>
        <source>Recent prompts</source>
        <translation>最近的提示词</translation>
    </message>
    <message>
        <source>Chunk %1: %2 tokens</source>
        <translation>第 %1 块：%2 个词元</translation>
    </message>
    <message>
        <source>(estimated without the CLIP vocabulary)</source>
        <translation>（未加载 CLIP 词表，此为估算值）</translation>
    </message>
    <message>
        <source>Clear recent prompts</source>
        <translation>清除最近的提示词</translation>
    </message>
</context>
<context>
    <name>qd::QueuePanel</name>
    <message>
        <source>Interrupt</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>Waiting jobs</source>
        <translation>等待中的任务</translation>
    </message>
    <message>
        <source>Move up (Alt+Up)</source>
        <translation>上移 (Alt+Up)</translation>
    </message>
    <message>
        <source>Move down (Alt+Down)</source>
        <translation>下移 (Alt+Down)</translation>
    </message>
    <message>
        <source>Remove from the queue (Delete)</source>
        <translation>从队列中移除 (Delete)</translation>
    </message>
    <message>
        <source>Stop the running job now and keep its image as it is</source>
        <translation>立即停止正在运行的任务，并保留其当前图像</translation>
    </message>
    <message>
        <source>Drop the running job and go on with the next one</source>
        <translation>放弃正在运行的任务，继续下一个</translation>
    </message>
    <message>
        <source>(empty prompt)</source>
        <translation>（空提示词）</translation>
    </message>
    <message>
        <source>%1 steps · %2 · %3×%4</source>
        <translation>%1 步 · %2 · %3×%4</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n 张图像</numerusform>
        </translation>
    </message>
    <message>
        <source>Running: %1</source>
        <translation>正在运行：%1</translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation>没有正在运行的任务</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Start the waiting jobs again</source>
        <translation>重新开始执行等待中的任务</translation>
    </message>
    <message>
        <source>Finish the running job, then wait</source>
        <translation>完成正在运行的任务后暂停</translation>
    </message>
</context>
<context>
    <name>qd::SettingsDialog</name>
    <message>
        <source>&amp;Serve the AUTOMATIC1111 API</source>
        <translation>提供 AUTOMATIC1111 API(&amp;S)</translation>
    </message>
    <message>
        <source>Tools made for AUTOMATIC1111 (GIMP, Krita, Blender plug-ins, Open WebUI, SillyTavern) can then generate here; their jobs join the queue and the history</source>
        <translation>为 AUTOMATIC1111 制作的工具（GIMP、Krita、Blender 插件、Open WebUI、SillyTavern）即可在此生成图像；它们的任务加入队列和历史记录</translation>
    </message>
    <message>
        <source>127.0.0.1: this computer only. Another address needs credentials</source>
        <translation>127.0.0.1：仅限本机。其他地址需要设置凭据</translation>
    </message>
    <message>
        <source>user:password (optional)</source>
        <translation>用户名:密码（可选）</translation>
    </message>
    <message>
        <source>HTTP API</source>
        <translation>HTTP API</translation>
    </message>
    <message>
        <source>Add&amp;ress</source>
        <translation>地址(&amp;R)</translation>
    </message>
    <message>
        <source>P&amp;ort</source>
        <translation>端口(&amp;O)</translation>
    </message>
    <message>
        <source>Cre&amp;dentials</source>
        <translation>凭据(&amp;D)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Models and files</source>
        <translation>模型与文件</translation>
    </message>
    <message>
        <source>Searched for checkpoints besides %1</source>
        <translation>除 %1 外，也在这些文件夹中查找模型</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>添加(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Model folders</source>
        <translation>模型文件夹(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Output folder</source>
        <translation>输出文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>JPEG and WebP quality; WebP at 100 is lossless</source>
        <translation>JPEG 与 WebP 的质量；WebP 为 100 时无损</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>Image &amp;format</source>
        <translation>图像格式(&amp;F)</translation>
    </message>
    <message>
        <source>Computation</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Automatic (a GPU when there is one)</source>
        <translation>自动（有 GPU 时使用 GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>CUDA GPU</source>
        <translation>CUDA GPU</translation>
    </message>
    <message>
        <source>auto, cpu, cuda or cuda:N</source>
        <translation>auto、cpu、cuda 或 cuda:N</translation>
    </message>
    <message>
        <source>Automatic (fp16 on a GPU, fp32 on the CPU)</source>
        <translation>自动（GPU 上用 fp16，CPU 上用 fp32）</translation>
    </message>
    <message>
        <source>&amp;Device</source>
        <translation>设备(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Precision</source>
        <translation>精度(&amp;P)</translation>
    </message>
    <message>
        <source>Live preview</source>
        <translation>实时预览</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Approximate colours (fast, every step)</source>
        <translation>近似颜色（快速，每一步）</translation>
    </message>
    <message>
        <source>TAESD tiny decoder</source>
        <translation>TAESD 小型解码器</translation>
    </message>
    <message>
        <source>Full VAE (exact, slow)</source>
        <translation>完整 VAE（精确，较慢）</translation>
    </message>
    <message>
        <source>TAESD and full-VAE previews are decoded every N steps</source>
        <translation>TAESD 与完整 VAE 预览每 N 步解码一次</translation>
    </message>
    <message>
        <source>Pre&amp;view method</source>
        <translation>预览方式(&amp;V)</translation>
    </message>
    <message>
        <source>Every &amp;N steps</source>
        <translation>每 N 步(&amp;N)</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>A new language takes effect when QDiffusion starts again.</source>
        <translation>新的语言将在 QDiffusion 重新启动后生效。</translation>
    </message>
    <message>
        <source>Add a model folder</source>
        <translation>添加模型文件夹</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
</context>
<context>
    <name>qd::StylePicker</name>
    <message>
        <source>St&amp;yles:</source>
        <translation>风格(&amp;Y)：</translation>
    </message>
    <message>
        <source>Styles added to the prompts when the job is built</source>
        <translation>生成任务时添加到提示词中的风格</translation>
    </message>
    <message>
        <source>Apply to Prompt</source>
        <translation>应用到提示词</translation>
    </message>
    <message>
        <source>Write the chosen styles into the prompt boxes now</source>
        <translation>立即将所选风格写入提示词框</translation>
    </message>
    <message>
        <source>Manage</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>&amp;Save Prompts as Style…</source>
        <translation>将提示词保存为风格(&amp;S)…</translation>
    </message>
    <message>
        <source>New Style</source>
        <translation>新风格</translation>
    </message>
    <message>
        <source>Name of the style made from the current prompts:</source>
        <translation>由当前提示词创建的风格名称：</translation>
    </message>
    <message>
        <source>&amp;Delete Chosen Styles</source>
        <translation>删除所选风格(&amp;D)</translation>
    </message>
    <message>
        <source>Delete Styles</source>
        <translation>删除风格</translation>
    </message>
    <message>
        <source>Delete the styles %1?</source>
        <translation>删除风格 %1？</translation>
    </message>
    <message>
        <source>&amp;Import styles.csv…</source>
        <translation>导入 styles.csv(&amp;I)…</translation>
    </message>
    <message>
        <source>Import Styles</source>
        <translation>导入风格</translation>
    </message>
    <message>
        <source>Styles (*.csv);;All files (*)</source>
        <translation>风格 (*.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>No styles yet: save the prompts as one, or import a styles.csv</source>
        <translation>还没有风格：把提示词保存为风格，或导入 styles.csv</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>A style needs a name.</source>
        <translation>风格需要一个名称。</translation>
    </message>
    <message>
        <source>Styles</source>
        <translation>风格</translation>
    </message>
</context>
<context>
    <name>qd::UpscaleDialog</name>
    <message>
        <source>Upscale</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>No image</source>
        <translation>没有图像</translation>
    </message>
    <message>
        <source>%1 (model, x%2)</source>
        <translation>%1（模型，x%2）</translation>
    </message>
    <message>
        <source>Scale &amp;by</source>
        <translation>按倍数(&amp;B)</translation>
    </message>
    <message>
        <source>Scale &amp;to</source>
        <translation>缩放到(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Crop to fit</source>
        <translation>裁剪以适应(&amp;C)</translation>
    </message>
    <message>
        <source>Cover the size and cut the middle; otherwise keep the aspect ratio</source>
        <translation>铺满该尺寸并裁取中间部分；不勾选则保持宽高比</translation>
    </message>
    <message>
        <source>How much of the second upscaler&apos;s result is blended in</source>
        <translation>混入第二个放大器结果的比例</translation>
    </message>
    <message>
        <source>Visibility:</source>
        <translation>可见度：</translation>
    </message>
    <message>
        <source>Image:</source>
        <translation>图像：</translation>
    </message>
    <message>
        <source>&amp;Upscaler:</source>
        <translation>放大器(&amp;U)：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>尺寸：</translation>
    </message>
    <message>
        <source>&amp;Second upscaler:</source>
        <translation>第二放大器(&amp;S)：</translation>
    </message>
    <message>
        <source>Result:</source>
        <translation>结果：</translation>
    </message>
    <message>
        <source>The upscaled image appears here</source>
        <translation>放大后的图像将显示在这里</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 (%2 × %3)</source>
        <translation>%1（%2 × %3）</translation>
    </message>
    <message>
        <source>The preview image (%1 × %2)</source>
        <translation>预览图像（%1 × %2）</translation>
    </message>
    <message>
        <source>%1 × %2 pixels</source>
        <translation>%1 × %2 像素</translation>
    </message>
    <message>
        <source>There is no image to upscale.</source>
        <translation>没有可放大的图像。</translation>
    </message>
    <message>
        <source>Choose an upscaler: None leaves the image as it is.</source>
        <translation>请选择放大器：None 会让图像保持原样。</translation>
    </message>
    <message>
        <source>Cannot upscale: %1</source>
        <translation>无法放大：%1</translation>
    </message>
    <message>
        <source>Upscaling…</source>
        <translation>正在放大…</translation>
    </message>
    <message>
        <source>%1 × %2</source>
        <translation>%1 × %2</translation>
    </message>
    <message>
        <source>Upscaling failed: %1</source>
        <translation>放大失败：%1</translation>
    </message>
    <message>
        <source>Saved as %1</source>
        <translation>已保存为 %1</translation>
    </message>
</context>
<context>
    <name>qd::XyzPlotDialog</name>
    <message>
        <source>X/Y/Z Plot</source>
        <translation>X/Y/Z 图表</translation>
    </message>
    <message>
        <source>&amp;X type:</source>
        <translation>X 类型(&amp;X)：</translation>
    </message>
    <message>
        <source>&amp;Y type:</source>
        <translation>Y 类型(&amp;Y)：</translation>
    </message>
    <message>
        <source>&amp;Z type:</source>
        <translation>Z 类型(&amp;Z)：</translation>
    </message>
    <message>
        <source>e.g. 10, 20, 30 or 10-30 (+10) or 10-30 [3]</source>
        <translation>例如 10, 20, 30 或 10-30 (+10) 或 10-30 [3]</translation>
    </message>
    <message>
        <source>Keep -1 for seeds (a new random seed in every cell)</source>
        <translation>种子保留 -1（每个单元格使用新的随机种子）</translation>
    </message>
    <message>
        <source>Values are separated by commas (quote a value that holds one). Number axes take ranges: 1-5, 1-9 (+2) for a step, 10-20 [3] for a count. For Prompt S/R the first value is the text replaced by each value in turn.</source>
        <translation>数值以逗号分隔（含逗号的值请加引号）。数值轴可用范围：1-5、1-9 (+2) 表示步长、10-20 [3] 表示个数。对于提示词搜索/替换，第一个值是依次被各值替换的文本。</translation>
    </message>
    <message>
        <source>&amp;Queue Plot</source>
        <translation>加入队列(&amp;Q)</translation>
    </message>
    <message>
        <source>Running: %1 of %2 images made</source>
        <translation>运行中：已生成 %1 / %2 张图像</translation>
    </message>
    <message>
        <source>%1 × %2 × %3 = %4 images</source>
        <translation>%1 × %2 × %3 = %4 张图像</translation>
    </message>
    <message>
        <source>A plot is still running.</source>
        <translation>图表仍在运行。</translation>
    </message>
    <message>
        <source>The plot made no grid.</source>
        <translation>图表未生成网格。</translation>
    </message>
    <message>
        <source>Grid saved as %1</source>
        <translation>网格已保存为 %1</translation>
    </message>
    <message>
        <source>(interrupted: the cells not run are black)</source>
        <translation>（已中断：未运行的单元格为黑色）</translation>
    </message>
</context>
</TS>
