<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>main</name>
    <message>
        <source>Native desktop studio for Stable Diffusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User interface language, e.g. zh_CN or en.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::ExportDialog</name>
    <message numerus="yes">
        <source>Export %n Image(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>JPEG and WebP quality; WebP at 100 is lossless</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens: {index} {id} {seed} {model} {sampler} {steps} {cfg} {width} {height} {date} {time} {prompt} {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F&amp;older</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File &amp;names</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The generation parameters are embedded in every exported file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: cannot create the folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: cannot read the image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) exported</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>qd::HistoryGallery</name>
    <message>
        <source>Images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search prompts…  (&quot;a phrase&quot;, -exclude)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search prompts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model filter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sampler filter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date filter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 365 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Favourites</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show favourites only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sort order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Highest rated first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thumbnail size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Favourite (F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Rate %n star(s) (%n)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Restore All Parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reuse &amp;Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy Infotext</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reveal in &amp;Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Favourite</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Rate %n Star(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Clear Rating</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Undo Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All samplers</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Select an image to see its parameters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) selected</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Negative prompt:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Schedule type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CFG scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clip skip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Denoising strength</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Variation seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image file cannot be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) deleted. Undo with Ctrl+Z in the gallery.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) restored</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>qd::InitImageView</name>
    <message>
        <source>Init image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop an image here or click to choose one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
%2 × %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop an image here
or click to browse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read this image</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::LivePreview</name>
    <message>
        <source>Write a prompt and press Generate (Ctrl+Enter).
Each step appears here as it is made.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Idle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show each new step as it arrives</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s/it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 it/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 / %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · step %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Final</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::MainWindow</name>
    <message>
        <source>QDiffusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters restored</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed %1 set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The history cannot be opened: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Describe the image, e.g. a lighthouse at dawn, (oil painting:1.2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Negative prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to keep out of the image, e.g. blurry, text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a job with these settings to the queue (Ctrl+Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interrupt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop now and keep the image as it is (Ctrl+.)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop the running job and go on with the next (Ctrl+Shift+N)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Jobs waiting in the queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speed of the running job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory used by QDiffusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where the model runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The selected checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading model %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device: %1 · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finished in %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: cannot create the output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 carries no generation parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters restored from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job %1 queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interrupting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Queue: %n waiting (paused)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Queue: %n waiting</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Memory: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open Image Parameters…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore parameters from an image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Import Folder into History…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit &amp;Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit &amp;Negative Prompt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit Para&amp;meters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Generation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Interrupt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Skip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Pause Queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Random Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reuse &amp;Last Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock See&amp;d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;wap Width and Height</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pr&amp;esets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Create</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Search History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follow &amp;Live Preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Full Screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About QDiffusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preset %1 applied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No presets (add them in settings.yaml)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The new language takes effect when QDiffusion starts again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import a folder of generated images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Importing %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) imported</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n already there</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n without parameters</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>About QDiffusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QDiffusion %1
A native desktop studio for Stable Diffusion.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no parameters; set as the init image</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::ParameterPanel</name>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sa&amp;mpler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Schedule t&amp;ype</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sampling steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;teps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CFG scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;CFG scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>-1 picks a new random seed for every image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random seed (-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reuse the last image&apos;s seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this seed when parameters are restored from the gallery or a dropped image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Swap width and height</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aspect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aspect ratio presets at the model&apos;s native size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Width</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>He&amp;ight</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many times to run the model, one after the other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images made together in one run (needs more memory)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 uses the text encoder&apos;s last layer, 2 the one before it, ...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch c&amp;ount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch si&amp;ze</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clip s&amp;kip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image to image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How much of the init image is repainted: 0 keeps it, 1 replaces it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Denoising strength</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Denoising strength</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an init image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.webp *.bmp)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo model (built in, draws abstract images)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reuse the last image&apos;s seed (%1)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::PreviewCanvas</name>
    <message>
        <source>Preview</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::PromptEditor</name>
    <message>
        <source>Tokens used / tokens available in the chunks of 75 the prompt fills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent prompts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chunk %1: %2 tokens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(estimated without the CLIP vocabulary)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear recent prompts</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::QueuePanel</name>
    <message>
        <source>Interrupt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move up (Alt+Up)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move down (Alt+Down)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from the queue (Delete)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the running job now and keep its image as it is</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop the running job and go on with the next one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(empty prompt)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 steps · %2 · %3×%4</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Running: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the waiting jobs again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finish the running job, then wait</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>qd::SettingsDialog</name>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models and files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Searched for checkpoints besides %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Model folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JPEG and WebP quality; WebP at 100 is lossless</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image &amp;format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic (a GPU when there is one)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CUDA GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>auto, cpu, cuda or cuda:N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic (fp16 on a GPU, fp32 on the CPU)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>None</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approximate colours (fast, every step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TAESD tiny decoder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Full VAE (exact, slow)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TAESD and full-VAE previews are decoded every N steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre&amp;view method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every &amp;N steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A new language takes effect when QDiffusion starts again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
