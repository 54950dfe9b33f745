// The settings file: a commented default when there is none, values round-trip, a broken file is
// reported with its line and left untouched while defaults are used.
#include <QtTest/QtTest>

#include <QTemporaryDir>

#include "core/AppPaths.h"
#include "core/Settings.h"

using qd::Settings;

namespace
{

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void write(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

} // namespace

class TestSettings : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void writesACommentedDefaultFileWhenThereIsNone()
    {
        Settings::LoadReport report;
        const Settings s = Settings::load(path("new/settings.yaml"), &report);
        QVERIFY(report.createdDefaultFile);
        QVERIFY(!report.fileExisted);
        QVERIFY(report.problems.isEmpty());
        QVERIFY(s == Settings());
        const QString text = QString::fromUtf8(readAll(path("new/settings.yaml")));
        QVERIFY(text.contains("# Where the model runs"));
        QVERIFY(text.contains("\n  sampler: Euler a\n"));
        QVERIFY(text.contains("\n  steps: 20\n"));
        // and it reads back as the defaults, with nothing to complain about
        const Settings again = Settings::load(path("new/settings.yaml"), &report);
        QVERIFY(!report.createdDefaultFile);
        QVERIFY2(report.problems.isEmpty(), qPrintable(report.problems.join('\n')));
        QVERIFY(again == Settings());
    }

    void usesAppPathsByDefault()
    {
        // the test runs with QDIFFUSION_HOME set by CTest; without it this would touch the user's file
        if (qEnvironmentVariableIsEmpty("QDIFFUSION_HOME"))
            QSKIP("QDIFFUSION_HOME is not set");
        QFile::remove(qd::AppPaths::configFile());
        Settings::LoadReport report;
        Settings::load(&report);
        QVERIFY(report.createdDefaultFile);
        QVERIFY(QFile::exists(qd::AppPaths::configFile()));
    }

    void roundTripsEveryKey()
    {
        Settings s;
        s.modelFolders = { "/models/sd", QString::fromUtf8("/数据/模型 with spaces") };
        s.outputFolder = "/tmp/out: images";
        s.outputFormat = "webp";
        s.imageQuality = 90;
        s.device = "cuda:1";
        s.precision = "fp16";
        s.previewMethod = "taesd";
        s.previewInterval = 3;
        s.randomSource = "NV";
        s.etaNoiseSeedDelta = 31337;
        s.language = "zh_CN";
        s.theme = "dark";
        s.apiEnabled = true;
        s.apiHost = "0.0.0.0";
        s.apiPort = 7861;
        s.apiAuth = "alice:s3cret: #1,bob:yes"; // ": " and " #" need quoting
        s.defaults.sampler = "DPM++ 2M";
        s.defaults.scheduler = "Karras";
        s.defaults.steps = 28;
        s.defaults.cfgScale = 6.5;
        s.defaults.width = 832;
        s.defaults.height = 1216;
        s.defaults.clipSkip = 2;
        s.defaults.negativePrompt = "bad: \"hands\", # not a comment\nsecond line";
        qd::Preset p;
        p.name = QString::fromUtf8("人像 portrait");
        p.sampler = "Euler a";
        p.steps = 30;
        p.cfgScale = 7;
        p.prompt = "yes"; // a YAML 1.1 boolean word must come back as text
        p.seed = 1234567890123;
        qd::Preset q;
        q.name = "only size";
        q.width = 1024;
        q.height = 1024;
        s.presets = { p, q };

        QString error;
        QVERIFY2(s.save(path("rt.yaml"), &error), qPrintable(error));
        Settings::LoadReport report;
        const Settings back = Settings::load(path("rt.yaml"), &report);
        QVERIFY2(report.problems.isEmpty(), qPrintable(report.problems.join('\n')));
        QVERIFY(back == s);
        QVERIFY(back.preset("only size"));
        const qd::GenerationParams applied = back.preset("only size")->applyTo(back.defaults);
        QCOMPARE(applied.width, 1024);
        QCOMPARE(applied.steps, 28); // not in the preset: kept
    }

    void syntaxErrorIsReportedWithItsLineAndTheFileIsLeftAlone()
    {
        const QByteArray broken = "device: cpu\n"
                                  "defaults:\n"
                                  "  steps: 30\n"
                                  "  sampler: [Euler a\n" // line 4: the list is never closed
                                  "theme: dark\n";
        write(path("broken.yaml"), broken);
        Settings::LoadReport report;
        const Settings s = Settings::load(path("broken.yaml"), &report);
        QVERIFY(report.usedDefaults);
        QCOMPARE(report.problems.size(), 1);
        // yaml-cpp notices the unclosed list on the line after it opens (line 4 or 5)
        QVERIFY2(report.problems[0].contains(path("broken.yaml") + ":5:")
                || report.problems[0].contains(path("broken.yaml") + ":4:"),
            qPrintable(report.problems[0]));
        QVERIFY(s == Settings()); // nothing half-applied: device stays "auto"
        QCOMPARE(readAll(path("broken.yaml")), broken);

        // the program refuses to overwrite it on save
        QString error;
        QVERIFY(!s.save(path("broken.yaml"), &error));
        QVERIFY(error.contains("not overwriting"));
        QCOMPARE(readAll(path("broken.yaml")), broken);

        const QByteArray tabs = "device: cpu\ndefaults:\n\tsteps: 30\n"; // a tab indent, line 3
        write(path("tabs.yaml"), tabs);
        Settings::load(path("tabs.yaml"), &report);
        QVERIFY(report.usedDefaults);
        QVERIFY2(report.problems.value(0).contains(":3:"), qPrintable(report.problems.value(0)));
        QCOMPARE(readAll(path("tabs.yaml")), tabs);
    }

    void badValuesFallBackOneByOneWithTheirLines()
    {
        const QByteArray text = "device: gpu-please\n" // 1
                                "theme: dark\n" // 2
                                "defaults:\n" // 3
                                "  steps: many\n" // 4
                                "  width: 500\n" // 5
                                "  sampler: DPM++ 2M\n" // 6
                                "  sampler_typo: Euler\n" // 7
                                "preview:\n" // 8
                                "  method: fancy\n" // 9
                                "  interval: 2\n" // 10
                                "presets:\n" // 11
                                "  - steps: 10\n" // 12
                                "  - name: fast\n" // 13
                                "    steps: 8\n" // 14
                                "colour: blue\n"; // 15
        write(path("values.yaml"), text);
        Settings::LoadReport report;
        const Settings s = Settings::load(path("values.yaml"), &report);
        QVERIFY(!report.usedDefaults);
        const QString all = report.problems.join('\n');
        QCOMPARE(report.problems.size(), 7);
        auto has = [&](int line, const char* what) {
            for (const QString& p : report.problems)
                if (p.startsWith(path("values.yaml") + ":" + QString::number(line) + ":") && p.contains(what))
                    return true;
            return false;
        };
        QVERIFY2(has(1, "gpu-please"), qPrintable(all));
        QVERIFY2(has(4, "many"), qPrintable(all));
        QVERIFY2(has(5, "multiple of 8"), qPrintable(all));
        QVERIFY2(has(7, "sampler_typo"), qPrintable(all));
        QVERIFY2(has(9, "fancy"), qPrintable(all));
        QVERIFY2(has(12, "name"), qPrintable(all));
        QVERIFY2(has(15, "colour"), qPrintable(all));
        // the good values are used, the bad ones keep their defaults
        QCOMPARE(s.device, QString("auto"));
        QCOMPARE(s.theme, QString("dark"));
        QCOMPARE(s.defaults.steps, 20);
        QCOMPARE(s.defaults.width, 512);
        QCOMPARE(QString::fromStdString(s.defaults.sampler), QString("DPM++ 2M"));
        QCOMPARE(s.previewMethod, QString("cheap"));
        QCOMPARE(s.previewInterval, 2);
        QCOMPARE(s.presets.size(), 1);
        QCOMPARE(s.presets[0].name, QString("fast"));
        QCOMPARE(s.presets[0].steps, std::optional<int>(8));
        QCOMPARE(readAll(path("values.yaml")), text);
    }

    void emptyOrNonMappingFiles()
    {
        write(path("empty.yaml"), "# only a comment\n");
        Settings::LoadReport report;
        QVERIFY(Settings::load(path("empty.yaml"), &report) == Settings());
        QVERIFY(report.problems.isEmpty());
        QCOMPARE(readAll(path("empty.yaml")), QByteArray("# only a comment\n")); // not replaced

        write(path("list.yaml"), "- a\n- b\n");
        QVERIFY(Settings::load(path("list.yaml"), &report) == Settings());
        QVERIFY(report.usedDefaults);
        QVERIFY2(report.problems.value(0).contains(path("list.yaml") + ":1:"),
            qPrintable(report.problems.value(0)));
    }
};

QTEST_APPLESS_MAIN(TestSettings)
#include "tst_settings.moc"
