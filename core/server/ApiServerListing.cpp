// ApiServer::listing: the GET lists (sd-models, samplers, loras, cmd-flags, ...), each from what the
// server has; core/server/ApiListings.h builds the bodies.
#include "core/engine/Pipeline.h"
#include "core/generation/JobBuilder.h"
#include "core/generation/Styles.h"
#include "core/generation/Upscalers.h"
#include "core/server/ApiListings.h"
#include "core/server/ApiServer.h"

#include <QJsonArray>
#include <QJsonObject>

namespace qd::api
{

QJsonValue ApiServer::listing(const QString& name) const
{
    if (name == QLatin1String("samplers"))
        return samplersListing();
    if (name == QLatin1String("schedulers"))
        return schedulersListing();
    if (name == QLatin1String("sd-models"))
        return sdModelsListing(m_library, QString::fromStdString(qd::demoModelName()));
    if (name == QLatin1String("sd-vae"))
        return sdVaeListing(m_library);
    if (name == QLatin1String("loras"))
        return lorasListing(loraFolders());
    if (name == QLatin1String("memory"))
        return memoryListing();
    if (name == QLatin1String("embeddings"))
        return embeddingsListing(JobBuilder(m_settings, m_library).embeddingFolders());
    if (name == QLatin1String("scripts"))
        return QJsonObject { { "txt2img", QJsonArray { "x/y/z plot" } },
            { "img2img", QJsonArray { "x/y/z plot" } } };
    if (name == QLatin1String("prompt-styles")) { // the app's styles.csv, read as it is now
        StyleDatabase db;
        db.load(StyleDatabase::defaultPath());
        QJsonArray out;
        for (const PromptStyle& s : db.styles())
            out.append(QJsonObject {
                { "name", s.name }, { "prompt", s.prompt }, { "negative_prompt", s.negativePrompt } });
        return out;
    }
    if (name == QLatin1String("cmd-flags")) {
        // A1111's argparse names for what this server was started with (never the credentials)
        const bool loopback = m_config.host.isLoopback();
        const auto [device, dtype] = JobBuilder(m_settings, m_library).deviceAndDtype();
        return QJsonObject { { "api", true }, { "nowebui", true }, { "listen", !loopback },
            { "server_name", loopback ? QJsonValue() : QJsonValue(m_config.host.toString()) },
            { "port", m_port }, { "api_auth", QJsonValue() }, { "api_log", false },
            { "cors_allow_origins",
                m_config.corsOrigins.isEmpty() ? QJsonValue() : QJsonValue(m_config.corsOrigins.join(',')) },
            { "ckpt_dir", QJsonValue() }, { "data_dir", "" }, { "no_half", dtype == "fp32" },
            { "use_cpu", device == "cpu" ? QJsonArray { "all" } : QJsonArray() }, { "medvram", false },
            { "lowvram", false }, { "api_server_stop", false }, { "timeout_keep_alive", 30 },
            { "disable_safe_unpickle", false }, { "hide_ui_dir_config", true }, { "freeze_settings", false },
            { "enable_insecure_extension_access", false }, { "skip_torch_cuda_test", false },
            { "lora_dir", loraFolders().value(0) } };
    }
    if (name == QLatin1String("upscalers")) {
        // api.py get_upscalers: every image upscaler, the built-in ones without a file
        QJsonArray out;
        for (const UpscalerEntry& u : listUpscalers(JobBuilder(m_settings, m_library).upscalerDirs()))
            out.append(QJsonObject { { "name", u.name },
                { "model_name", u.path.isEmpty() ? QJsonValue() : QJsonValue(u.name) },
                { "model_path", u.path.isEmpty() ? QJsonValue() : QJsonValue(u.path) },
                { "model_url", QJsonValue() },
                { "scale", u.scale == 0 ? QJsonValue(4) : QJsonValue(u.scale) } });
        return out;
    }
    if (name == QLatin1String("latent-upscale-modes")) {
        QJsonArray out;
        for (const std::string& n : latentUpscalerNames())
            out.append(QJsonObject { { "name", QString::fromStdString(n) } });
        return out;
    }
    // hypernetworks, face-restorers, realesrgan-models, script-info, extensions:
    // features QDiffusion does not have (yet)
    return QJsonArray();
}

} // namespace qd::api
