// ApiServer::generateXyz: script_name "x/y/z plot" on /sdapi/v1/txt2img and /img2img, with
// script_args as A1111's scripts/xyz_grid.py run() takes them (v1.7+: x_type, x_values,
// x_values_dropdown, y_..., z_..., draw_legend, include_lone_images, include_sub_grids,
// no_fixed_seeds, vary_seeds_x, vary_seeds_y, vary_seeds_z, margin_size, csv_mode; the older list
// without the vary_seeds flags is read too). A type is an index into A1111's axis list for that tab
// or a label. The answer is A1111's: the combined grid first, then the Z grids when
// include_sub_grids (and there is a Z axis), then the cells when include_lone_images.
#include <QDateTime>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTcpSocket>

#include "core/generation/ImageSaver.h"
#include "core/generation/Styles.h"
#include "core/generation/XyzRun.h"
#include "core/metadata/ImageMetadata.h"
#include "core/server/ApiListings.h"
#include "core/server/ApiServer.h"

namespace qd::api
{

namespace
{

bool flag(const QJsonArray& a, int i, bool def)
{
    const QJsonValue v = a.at(i);
    if (v.isBool())
        return v.toBool();
    if (v.isDouble())
        return v.toDouble() != 0;
    if (v.isString())
        return v.toString().compare(QLatin1String("true"), Qt::CaseInsensitive) == 0;
    return def;
}

} // namespace

void ApiServer::generateXyz(const GenerationRequest& g, const JobRequest& base, bool demo,
    QHttpServerResponder&& responder, const QList<QPair<QByteArray, QByteArray>>& cors)
{
    auto fail = [&](ApiError e) {
        e.headers += cors;
        replyError(std::move(responder), e);
    };
    const QJsonArray a = g.scriptArgs;
    const bool newLayout = a.size() >= 18; // with vary_seeds_x/y/z
    const bool csvMode = flag(a, newLayout ? 17 : 14, false);
    const QStringList labels = xyzAxisLabels(g.img2img, false);
    XyzAxis axes[3];
    for (int i = 0; i < 3; ++i) {
        const QJsonValue type = a.at(i * 3);
        if (type.isDouble()) {
            const int index = type.toInt(-1);
            if (index < 0 || index >= labels.size())
                return fail(ApiError::http(422,
                    QStringLiteral("X/Y/Z plot: axis type index %1 is outside 0..%2")
                        .arg(index)
                        .arg(labels.size() - 1)));
            axes[i].type = labels[index];
        } else if (type.isString()) {
            axes[i].type = type.toString();
        } else {
            axes[i].type = i == 0 ? QStringLiteral("Seed") : QStringLiteral("Nothing"); // A1111's defaults
        }
        axes[i].text = a.at(i * 3 + 1).toString();
        const QJsonArray dropdown = a.at(i * 3 + 2).toArray();
        if (!csvMode && !dropdown.isEmpty()) {
            QStringList values;
            for (const QJsonValue& v : dropdown)
                values << v.toVariant().toString();
            axes[i].text = csvRow(values);
        }
    }
    const bool legend = flag(a, 9, true), includeCells = flag(a, 10, false),
               includeSubGrids = flag(a, 11, false), keepRandomSeeds = flag(a, 12, false);
    const int margin = std::clamp(a.at(newLayout ? 16 : 13).toInt(0), 0, 500);

    StyleDatabase styles;
    styles.load(StyleDatabase::defaultPath());
    XyzPlan plan;
    QString why;
    if (!planXyz(base, axes[0], axes[1], axes[2], g.img2img, &plan, &why, &styles, keepRandomSeeds,
            std::max(1, m_config.caps.maxBatchCount)))
        return fail(ApiError::http(422, why));

    // Checkpoint and VAE values are looked up in the library by name only, as override_settings are
    auto build = [this, demo, base](const JobRequest& cell, QString* error) -> std::optional<GenerationJob> {
        JobRequest r = cell;
        if (r.model != base.model || r.vae != base.vae) {
            ResolvedModel model;
            ApiError e;
            if (!resolveModel(r.model, r.vae, &model, &e)) {
                *error = e.body.toObject().value("detail").toString();
                return std::nullopt;
            }
            r.model = model.checkpoint;
            r.vae = model.vae;
        }
        r.demoModel = r.model.isEmpty() && demo;
        return JobBuilder(m_settings, m_library).build(r, error);
    };
    auto* run = new XyzRun(m_worker, plan, this);
    run->setLegend(legend, margin);
    const bool save = g.saveImages || m_config.saveImages;
    const QString outputDir
        = m_config.outputDir.isEmpty() ? m_settings.effectiveOutputFolder() : m_config.outputDir;
    if (save)
        run->setGridFolder(outputDir);
    if (!run->start(build, &why)) {
        delete run;
        return fail(ApiError::http(422, why, "EngineError"));
    }

    auto holder = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = holder->socket();
    const QString timestamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMddHHmmss"));
    connect(run, &XyzRun::finished, this, [=](const XyzResult& result) {
        run->deleteLater();
        QJsonArray images, infotexts, prompts, negatives, seeds, subseeds;
        auto add = [&](const QImage& image, const QString& infotext) {
            if (g.sendImages)
                images.append(QString::fromLatin1(encodeApiImage(image, infotext, ImageFileFormat::Png, 0)));
            infotexts.append(infotext);
        };
        if (!result.grids.combined.isNull()) {
            add(result.grids.combined, result.gridInfotext);
            if (includeSubGrids && plan.count(2) > 1)
                for (qsizetype z = 0; z < result.grids.subGrids.size(); ++z) {
                    const ResultImage& first = result.cells.value(plan.cellIndex(0, 0, int(z)));
                    add(result.grids.subGrids[z], xyzGridInfotext(plan, first.params, false));
                }
        }
        for (const ResultImage& cell : result.cells) {
            if (cell.image.isNull())
                continue;
            if (save && cell.file.isEmpty()) { // a headless server: the worker saves nothing itself
                ImageSaver::Options o;
                o.outputDir = outputDir;
                o.addToHistory = false;
                ImageSaver(o).save(cell.image, cell.params, cell.infotext);
            }
            prompts.append(QString::fromStdString(cell.params.prompt));
            negatives.append(QString::fromStdString(cell.params.negativePrompt));
            seeds.append(qint64(cell.params.seed));
            subseeds.append(qint64(cell.params.subseed));
            if (includeCells)
                add(cell.image, cell.infotext);
        }
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        if (result.grids.combined.isNull()) {
            ApiError e = ApiError::http(500,
                result.errors.isEmpty()
                    ? QStringLiteral("X/Y/Z plot: no cell was made")
                    : QStringLiteral("X/Y/Z plot: ") + result.errors.join(QStringLiteral("; ")),
                "EngineError");
            e.headers += cors;
            replyError(std::move(*holder), e);
            return;
        }
        const GenerationParams first = result.cells.value(0).params;
        const QJsonObject info { { "prompt", QString::fromStdString(first.prompt) },
            { "all_prompts", prompts }, { "negative_prompt", QString::fromStdString(first.negativePrompt) },
            { "all_negative_prompts", negatives }, { "seed", qint64(first.seed) }, { "all_seeds", seeds },
            { "subseed", qint64(first.subseed) }, { "all_subseeds", subseeds },
            { "subseed_strength", first.subseedStrength }, { "width", first.width },
            { "height", first.height }, { "sampler_name", QString::fromStdString(first.sampler) },
            { "cfg_scale", first.cfgScale }, { "steps", first.steps }, { "batch_size", first.batchSize },
            { "restore_faces", false }, { "sd_model_name", QString::fromStdString(first.modelName) },
            { "sd_model_hash", QString::fromStdString(first.modelHash) }, { "index_of_first_image", 1 },
            { "infotexts", infotexts }, { "styles", QJsonArray::fromStringList(g.styles) },
            { "job_timestamp", timestamp }, { "clip_skip", first.clipSkip },
            { "extra_generation_params", QJsonObject { { "Script", "X/Y/Z plot" } } },
            { "version", QStringLiteral("QDiffusion " QD_VERSION) } };
        reply(std::move(*holder), 200,
            QJsonObject { { "images", images }, { "parameters", g.echo },
                { "info", QString::fromUtf8(QJsonDocument(info).toJson(QJsonDocument::Compact)) } },
            cors);
    });
}

} // namespace qd::api
