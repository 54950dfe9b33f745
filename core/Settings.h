#pragma once
// Settings and presets in a human-editable YAML file (AppPaths::configFile(), keys documented in
// docs/settings.md). A file with a syntax error is reported with its line and ignored as a whole
// (defaults are used, the file is left alone); a bad value is reported with its line and only that
// key falls back to its default.
#include "core/engine/GenerationParams.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qd
{

// A named set of generation parameters; keys left out keep what the user has.
struct Preset {
    QString name;
    std::optional<QString> prompt;
    std::optional<QString> negativePrompt;
    std::optional<QString> sampler;
    std::optional<QString> schedule;
    std::optional<int> steps;
    std::optional<double> cfgScale;
    std::optional<int> width;
    std::optional<int> height;
    std::optional<int> clipSkip;
    std::optional<qint64> seed;

    GenerationParams applyTo(GenerationParams params) const;
    bool operator==(const Preset& o) const;
};

class Settings
{
public:
    QStringList modelFolders; // searched besides AppPaths::modelsDir()
    QString outputFolder; // "" = AppPaths::outputDir()
    QString outputFormat = QStringLiteral("png"); // png | jpeg | webp
    int imageQuality = 95; // JPEG / WebP quality, 1-100 (WebP 100 = lossless)
    QString device = QStringLiteral("auto"); // auto | cpu | cuda | cuda:N
    QString precision = QStringLiteral("auto"); // auto | fp32 | fp16 | bf16
    QString randomSource = QStringLiteral("GPU"); // GPU | CPU | NV (docs/reference.md §8.1)
    qint64 etaNoiseSeedDelta = 0; // A1111's ENSD; 0 = off
    QString previewMethod = QStringLiteral("cheap"); // none | cheap | taesd | vae
    int previewInterval = 1; // TAESD / VAE preview every N steps
    QString language = QStringLiteral("system"); // system | en | zh_CN | ...
    QString theme = QStringLiteral("system"); // system | light | dark
    // The studio serving AUTOMATIC1111's HTTP API (core/server/ApiServer.h) on its own queue.
    bool apiEnabled = false;
    QString apiHost = QStringLiteral("127.0.0.1"); // another address than loopback needs apiAuth
    int apiPort = 7860;
    QString apiAuth; // HTTP Basic credentials "user:password[,user:password...]"; "" = none
    GenerationParams defaults; // sampler, schedule, steps, cfg, size, clip skip, negative
    QList<Preset> presets;

    struct LoadReport {
        bool fileExisted = false;
        bool createdDefaultFile = false; // there was none: a commented one was written
        bool usedDefaults = false; // the whole file was rejected (syntax error, not a mapping)
        QStringList problems; // "settings.yaml:12: ...", one per problem
    };

    // Reads `path`; writes a commented default file there when there is none.
    static Settings load(const QString& path, LoadReport* report = nullptr);
    static Settings load(LoadReport* report = nullptr); // AppPaths::configFile()

    // The file text: every key with a comment saying what it does and which values it takes.
    QString toYaml() const;
    // Writes toYaml() atomically. Refuses (and says why) when the file there does not parse, so a
    // user's half-edited file is never replaced by the program.
    bool save(const QString& path, QString* error = nullptr) const;

    QString effectiveOutputFolder() const;
    const Preset* preset(const QString& name) const;
    bool operator==(const Settings& o) const;
};

} // namespace qd
