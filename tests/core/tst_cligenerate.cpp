#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest/QtTest>

#include "TestFiles.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

// qdiffusion-cli generate as a user runs it: out of the box on the demo model, CompVis flags, the
// PNG's parameters chunk parsing back to the settings used, and one-line errors (exit 2) for bad
// input, with nothing half-written.
class TestCliGenerate : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    struct Run {
        int exitCode;
        QString out, err;
    };
    Run cli(const QStringList& args)
    {
        QProcess p;
        p.setProgram(QCoreApplication::applicationDirPath() + "/qdiffusion-cli");
        p.setArguments(args);
        p.start();
        p.waitForFinished(300000);
        return { p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError()) };
    }

private slots:
    void demoModelWritesImagesCarryingTheirParameters()
    {
        const QString out = m_dir.filePath("run1");
        const Run r = cli({ "generate", "--prompt", "a fantasy landscape, epic mountains and sunset",
            "--negative-prompt", "blurry, 低质量", "--outdir", out, "--sampler", "DPM++ 2M Karras", "--steps",
            "4", "--W", "64", "--H", "48", "--n_samples", "2", "--n_iter", "1", "--seed", "77", "--cfg-scale",
            "6.5", "--json" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("demo model"), qPrintable(r.err)); // says plainly it is the demo model
        QVERIFY(r.err.contains("it/s")); // progress bar
        QVERIFY(QFile::exists(out + "/samples/00000.png"));
        QVERIFY(QFile::exists(out + "/samples/00001.png"));
        QVERIFY(QFile::exists(out + "/grid-0000.png"));
        const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(json["images"].toArray().size(), 2);

        for (int i = 0; i < 2; ++i) {
            const QString file = QString("%1/samples/0000%2.png").arg(out).arg(i);
            const QImage img(file);
            QCOMPARE(img.size(), QSize(64, 48));
            qd::ImageMetadata meta;
            QString error;
            QVERIFY2(qd::ImageMetadata::read(file, &meta, &error), qPrintable(error));
            const qd::GenerationParams p = qd::parseInfotext(meta.infotext());
            QCOMPARE(
                QString::fromStdString(p.prompt), QString("a fantasy landscape, epic mountains and sunset"));
            QCOMPARE(QString::fromStdString(p.negativePrompt), QString("blurry, 低质量"));
            QCOMPARE(QString::fromStdString(p.sampler), QString("DPM++ 2M"));
            QCOMPARE(QString::fromStdString(p.scheduler), QString("Karras"));
            QCOMPARE(p.steps, 4);
            QCOMPARE(p.cfgScale, 6.5);
            QCOMPARE(p.seed, int64_t(77 + i)); // image i of a batch uses seed + i
            QCOMPARE(p.width, 64);
            QCOMPARE(p.height, 48);
        }
        // numbering continues in the same folder, as CompVis does
        QCOMPARE(cli({ "generate", "--prompt", "x", "--outdir", out, "--steps", "2", "--W", "32", "--H", "32",
                         "--n_samples", "1", "--n_iter", "1", "--skip_grid" })
                     .exitCode,
            0);
        QVERIFY(QFile::exists(out + "/samples/00002.png"));
    }

    // --styles from a styles.csv (A1111's own format) and an X/Y/Z plot: six cells, each with its
    // values, and the labelled grid beside them.
    void stylesAndXyzPlot()
    {
        const QString out = m_dir.filePath("xyz");
        Run r = cli({ "generate", "--prompt", "a red cat", "--negative-prompt", "ugly", "--styles",
            "\"Line art, ink\",Only negative", "--styles-file", QD_TEST_DATA "/core/styles.csv", "--steps",
            "2", "--W", "64", "--H", "64", "--seed", "3", "--outdir", out, "--xyz-x", "Steps:1-3", "--xyz-y",
            "Prompt S/R:red, blue", "--json" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const QJsonArray images = json["images"].toArray();
        QCOMPARE(images.size(), 6);
        for (const QJsonValue& v : images) {
            const QJsonObject cell = v.toObject();
            qd::ImageMetadata meta;
            QVERIFY(qd::ImageMetadata::read(cell["file"].toString(), &meta));
            const qd::GenerationParams p = qd::parseInfotext(meta.infotext());
            QCOMPARE(p.steps, 1 + cell["x"].toInt());
            QCOMPARE(QString::fromStdString(p.prompt),
                QString("a %1 cat, line art\nink drawing, high contrast")
                    .arg(cell["y"].toInt() ? "blue" : "red"));
            QCOMPARE(QString::fromStdString(p.negativePrompt), QString("ugly, lowres, bad anatomy"));
            QCOMPARE(p.seed, int64_t(3));
        }
        const QString grid = json["grid"].toString();
        QCOMPARE(QFileInfo(grid).absolutePath(), QFileInfo(out + "/samples").absoluteFilePath());
        QCOMPARE(QImage(grid).width(), 3 * 64 + 48); // the row labels take 3/4 of a cell
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(grid, &meta));
        QVERIFY2(meta.infotext().contains("X Type: Steps, X Values: 1-3, Y Type: Prompt S/R"),
            qPrintable(meta.infotext()));

        r = cli({ "generate", "--prompt", "x", "--outdir", out, "--styles", "Nope", "--styles-file",
            QD_TEST_DATA "/core/styles.csv" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("'Nope'"), qPrintable(r.err));
        r = cli({ "generate", "--prompt", "x", "--outdir", out, "--xyz-x", "Steps:1, many" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("'many'"), qPrintable(r.err));
    }

    void sameSeedSameImage()
    {
        const QStringList base { "generate", "--prompt", "red circle", "--steps", "3", "--W", "32", "--H",
            "32", "--n_samples", "1", "--n_iter", "1", "--seed", "5", "--sampler", "Euler a" };
        QCOMPARE(cli(base + QStringList { "--outdir", m_dir.filePath("a") }).exitCode, 0);
        QCOMPARE(cli(base + QStringList { "--outdir", m_dir.filePath("b") }).exitCode, 0);
        QCOMPARE(
            QImage(m_dir.filePath("a/samples/00000.png")), QImage(m_dir.filePath("b/samples/00000.png")));
    }

    // --seed -1 draws a seed per run, and the image carries the seed it was made with (the run can
    // be repeated from the file), not -1.
    void randomSeedIsDrawnAndRecorded()
    {
        QList<int64_t> seeds;
        for (const char* dir : { "random-a", "random-b" }) {
            const QString out = m_dir.filePath(dir);
            const Run r = cli({ "generate", "--prompt", "red circle", "--outdir", out, "--steps", "2", "--W",
                "32", "--H", "32", "--n_samples", "1", "--n_iter", "1", "--seed", "-1", "--json" });
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            qd::ImageMetadata meta;
            QString error;
            QVERIFY2(qd::ImageMetadata::read(out + "/samples/00000.png", &meta, &error), qPrintable(error));
            const int64_t seed = qd::parseInfotext(meta.infotext()).seed;
            QVERIFY2(seed >= 0, qPrintable(meta.infotext()));
            const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
            QCOMPARE(json["images"].toArray().at(0).toObject()["seed"].toInteger(), seed); // --json agrees
            seeds << seed;
        }
        QVERIFY2(seeds[0] != seeds[1], "two runs with --seed -1 used the same seed");
    }

    void badInputIsOneLineAndExitCode2_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("sampler") << QStringList { "--sampler", "Eulerr" }
                                 << "DPM++ 2M"; // lists the valid ones
        QTest::newRow("size") << QStringList { "--W", "100" } << "multiple of 8";
        QTest::newRow("steps") << QStringList { "--steps", "0" } << "steps";
        QTest::newRow("cfg") << QStringList { "--cfg-scale", "nan" } << "CFG";
        QTest::newRow("strength") << QStringList { "--strength", "1.5" } << "strength";
        QTest::newRow("init image") << QStringList { "--init-img", "/nonexistent.png" } << "/nonexistent.png";
        QTest::newRow("device") << QStringList { "--device", "tpu" } << "tpu";
        QTest::newRow("checkpoint") << QStringList { "--ckpt", "/nonexistent.safetensors" }
                                    << "/nonexistent.safetensors";
        QTest::newRow("hires upscaler") << QStringList { "--hires", "--hr-upscaler", "4x-Nope" } << "Lanczos";
        QTest::newRow("hires resize") << QStringList { "--hires", "--hr-resize", "big" } << "--hr-resize";
        QTest::newRow("rng") << QStringList { "--rng", "quantum" } << "--rng";
        QTest::newRow("inpainting fill")
            << QStringList { "--inpainting-fill", "glitter" } << "--inpainting-fill";
        QTest::newRow("outpaint") << QStringList { "--outpaint", "8,8" } << "--outpaint";
    }

    // --hires: the second pass's size, A1111's keys in the PNG
    void hiresFixFlags()
    {
        const QString out = m_dir.filePath("hires");
        const Run r = cli({ "generate", "--prompt", "a castle", "--outdir", out, "--sampler", "Euler",
            "--steps", "3", "--W", "64", "--H", "48", "--n_samples", "1", "--n_iter", "1", "--seed", "5",
            "--hires", "--hr-scale", "1.5", "--hr-steps", "2", "--strength", "0.4", "--hr-upscaler",
            "Latent (bicubic)", "--skip_grid" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString file = out + "/samples/00000.png";
        QCOMPARE(QImage(file).size(), QSize(96, 72));
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(file, &meta, nullptr));
        const qd::GenerationParams p = qd::parseInfotext(meta.infotext());
        QVERIFY(p.enableHr);
        QCOMPARE(p.hrScale, 1.5);
        QCOMPARE(p.hrSteps, 2);
        QCOMPARE(p.denoisingStrength, 0.4);
        QCOMPARE(QString::fromStdString(p.hrUpscaler), QString("Latent (bicubic)"));
    }

    // --embeddings-dir: a textual-inversion file's name in the prompt changes the image and is
    // recorded with its hash ("TI hashes"); the demo model's text width is 128.
    void embeddingsDirFlag()
    {
        const QString dir = m_dir.filePath("emb");
        QDir().mkpath(dir);
        qdtest::writeEmbedding(dir + "/glow-style.safetensors", 2, 128);
        auto run = [&](const QString& name, const QString& prompt) {
            const QString out = m_dir.filePath(name);
            const Run r = cli({ "generate", "--prompt", prompt, "--outdir", out, "--sampler", "Euler",
                "--steps", "2", "--W", "32", "--H", "32", "--n_samples", "1", "--n_iter", "1", "--seed", "9",
                "--skip_grid", "--embeddings-dir", dir });
            [&] { QVERIFY2(r.exitCode == 0, qPrintable(r.err)); }();
            return out + "/samples/00000.png";
        };
        const QString plain = run("emb-plain", "a lamp");
        const QString styled = run("emb-styled", "a lamp, glow-style");
        QVERIFY(QImage(plain) != QImage(styled));
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(styled, &meta, nullptr));
        const qd::GenerationParams p = qd::parseInfotext(meta.infotext());
        QVERIFY2(p.extra.count("TI hashes") && p.extra.at("TI hashes").rfind("glow-style: ", 0) == 0,
            qPrintable(meta.infotext()));
    }

    // preprocess: the ControlNet map of a picture, named after it and the module; an unknown module or
    // an unavailable network exits 2 naming it
    void preprocessWritesTheMap()
    {
        QImage picture(200, 100, QImage::Format_RGB888);
        picture.fill(Qt::black);
        for (int y = 30; y < 70; ++y)
            for (int x = 50; x < 150; ++x)
                picture.setPixelColor(x, y, Qt::white);
        const QString in = m_dir.filePath("pic.png");
        QVERIFY(picture.save(in));
        const QString out = m_dir.filePath("maps");
        Run r = cli({ "preprocess", in, "--module", "canny", "--resolution", "256", "--outdir", out });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage map(out + "/pic-canny.png");
        QCOMPARE(map.size(), QSize(512, 256));
        int edge = 0; // the rectangle's top edge: row 30 of 100 -> about 77 of 256, in the middle column
        for (int y = 70; y < 85; ++y)
            edge += map.pixelColor(256, y) == QColor(Qt::white);
        QVERIFY(edge >= 1);
        QCOMPARE(map.pixelColor(256, 128), QColor(Qt::black)); // inside the rectangle: no edge
        r = cli({ "preprocess", in, "--module", "sobelish" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("sobelish"));
        r = cli({ "preprocess", in, "--module", "depth_midas" });
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("annotator weights"));
    }

    // --controlnet flags are checked before anything loads: a model name not in the folders, a unit
    // without its image, a per-unit flag given the wrong number of times
    void controlNetFlagsAreChecked()
    {
        const QString pic = m_dir.filePath("cn-pic.png");
        QImage(64, 64, QImage::Format_RGB888).save(pic);
        const QString dir = m_dir.filePath("cn-models");
        qdtest::writeFile(dir + "/control_tiny.safetensors", "w");
        auto gen = [&](const QStringList& more) {
            return cli(QStringList { "generate", "--prompt", "x", "--steps", "1", "--W", "64", "--H", "64",
                           "--outdir", m_dir.filePath("cn-out") }
                + more);
        };
        Run r = gen({ "--controlnet", "control_missing", "--control-image", pic, "--controlnet-dir", dir });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("control_missing") && r.err.contains(dir), qPrintable(r.err));
        r = gen({ "--controlnet", "control_tiny", "--controlnet", "control_tiny", "--control-image", pic,
            "--controlnet-dir", dir });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--control-image"), qPrintable(r.err));
        r = gen({ "--controlnet", "control_tiny", "--control-image", pic, "--control-weight", "1",
            "--control-weight", "0.5", "--control-weight", "2", "--controlnet-dir", dir });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--control-weight is given 3 times"), qPrintable(r.err));
        r = gen({ "--controlnet", "control_tiny", "--control-image", pic, "--control-preprocessor",
            "sobelish", "--controlnet-dir", dir });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("sobelish"), qPrintable(r.err));
        r = gen({ "--controlnet", "control_tiny", "--control-image", m_dir.filePath("nope.png"),
            "--controlnet-dir", dir });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("nope.png"), qPrintable(r.err));
    }

    // --mask with A1111's inpaint flags and --outpaint: the canvas grows, the original area stays,
    // the keys go into the PNG
    void inpaintAndOutpaintFlags()
    {
        QImage init(64, 48, QImage::Format_RGB888);
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 64; ++x)
                init.setPixelColor(x, y, QColor(x * 4, y * 5, 128));
        const QString initFile = m_dir.filePath("init.png"), maskFile = m_dir.filePath("mask.png");
        QVERIFY(init.save(initFile));
        QImage mask(64, 48, QImage::Format_Grayscale8);
        mask.fill(0);
        QVERIFY(mask.save(maskFile)); // nothing masked: only the new area is painted
        const QString out = m_dir.filePath("outpaint");
        const Run r = cli({ "generate", "--prompt", "more sky", "--outdir", out, "--sampler", "Euler",
            "--steps", "3", "--n_samples", "1", "--n_iter", "1", "--seed", "9", "--init-img", initFile,
            "--mask", maskFile, "--strength", "1", "--mask-blur", "2", "--inpainting-fill", "fill",
            "--outpaint", "0,16,0,0", "--skip_grid" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString file = out + "/samples/00000.png";
        const QImage img = QImage(file).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(img.size(), QSize(80, 48));
        for (int x = 0; x < 64 - 4 - 6; ++x) // the overlap (2 x blur) and the blur's reach
            QCOMPARE(img.pixel(x, 20), init.pixel(x, 20));
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(file, &meta, nullptr));
        QVERIFY2(meta.infotext().contains("Size: 80x48") && meta.infotext().contains("Mask blur: 2")
                && meta.infotext().contains("Masked content: fill"),
            qPrintable(meta.infotext()));
    }

    void badInputIsOneLineAndExitCode2()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const QString out = m_dir.filePath(QString("bad-") + QTest::currentDataTag());
        QStringList base { "generate", "--prompt", "x", "--outdir", out, "--ddim_steps", "2", "--n_samples",
            "1", "--n_iter", "1" };
        if (!args.contains("--W"))
            base << "--H"
                 << "32"
                 << "--W"
                 << "32";
        const Run r = cli(base + args);
        QVERIFY2(r.exitCode == 2 || (mentions.contains("safetensors") && r.exitCode == 1), qPrintable(r.err));
        QVERIFY2(r.err.contains("error: ") && r.err.contains(mentions), qPrintable(r.err));
        QVERIFY(!QFile::exists(out + "/samples/00000.png")); // nothing half-written
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "tst_cligenerate.moc"
