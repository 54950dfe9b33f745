#include "core/server/ApiOptions.h"

#include <cmath>
#include <limits>

namespace qd::api
{

namespace
{

struct OptionDefault {
    const char* key;
    char kind; // see coerce()
    QJsonValue value;
};

// A1111 v1.10's settings (modules/shared_options.py) that API clients read or send back, with its
// defaults. api_enable_requests is off: the server never fetches image URLs.
const QList<OptionDefault>& optionDefaults()
{
    static const QList<OptionDefault> table = {
        // saving images
        { "samples_save", 'b', true },
        { "samples_format", 's', "png" },
        { "samples_filename_pattern", 's', "" },
        { "save_images_add_number", 'b', true },
        { "grid_save", 'b', true },
        { "grid_format", 's', "png" },
        { "enable_pnginfo", 'b', true },
        { "save_txt", 'b', false },
        { "jpeg_quality", 'i', 80 },
        { "webp_lossless", 'b', false },
        { "export_for_4chan", 'b', true },
        { "img_downscale_threshold", 'f', 4.0 },
        { "target_side_length", 'f', 4000.0 },
        { "img_max_size_mp", 'f', 200.0 },
        { "use_original_name_batch", 'b', true },
        { "save_selected_only", 'b', true },
        { "save_init_img", 'b', false },
        { "temp_dir", 's', "" },
        { "clean_temp_dir_at_start", 'b', false },
        // paths (kept, never used: the server writes only to its --outdir)
        { "outdir_samples", 's', "" },
        { "outdir_txt2img_samples", 's', "outputs/txt2img-images" },
        { "outdir_img2img_samples", 's', "outputs/img2img-images" },
        { "outdir_extras_samples", 's', "outputs/extras-images" },
        { "outdir_grids", 's', "" },
        { "outdir_txt2img_grids", 's', "outputs/txt2img-grids" },
        { "outdir_img2img_grids", 's', "outputs/img2img-grids" },
        { "outdir_save", 's', "log/images" },
        { "outdir_init_images", 's', "outputs/init-images" },
        { "save_to_dirs", 'b', true },
        { "grid_save_to_dirs", 'b', true },
        { "directories_filename_pattern", 's', "[date]" },
        // stable diffusion
        { "sd_model_checkpoint", 's', "" },
        { "sd_checkpoint_hash", 's', "" },
        { "sd_checkpoints_limit", 'i', 1 },
        { "sd_checkpoints_keep_in_cpu", 'b', true },
        { "sd_checkpoint_cache", 'i', 0 },
        { "sd_unet", 's', "Automatic" },
        { "enable_quantization", 'b', false },
        { "emphasis", 's', "Original" },
        { "enable_batch_seeds", 'b', true },
        { "comma_padding_backtrack", 'i', 20 },
        { "CLIP_stop_at_last_layers", 'i', 1 },
        { "upcast_attn", 'b', false },
        { "randn_source", 's', "GPU" },
        { "tiling", 'b', false },
        { "hires_fix_refiner_pass", 's', "second pass" },
        { "sd_vae_checkpoint_cache", 'i', 0 },
        { "sd_vae", 's', "Automatic" },
        { "sd_vae_overrides_per_model_preferences", 'b', true },
        { "auto_vae_precision", 'b', true },
        { "sd_vae_encode_method", 's', "Full" },
        { "sd_vae_decode_method", 's', "Full" },
        { "inpainting_mask_weight", 'f', 1.0 },
        { "initial_noise_multiplier", 'f', 1.0 },
        { "img2img_extra_noise", 'f', 0.0 },
        { "img2img_color_correction", 'b', false },
        { "img2img_fix_steps", 'b', false },
        { "img2img_background_color", 's', "#ffffff" },
        // sampler parameters
        { "eta_ddim", 'f', 0.0 },
        { "eta_ancestral", 'f', 1.0 },
        { "ddim_discretize", 's', "uniform" },
        { "s_churn", 'f', 0.0 },
        { "s_tmin", 'f', 0.0 },
        { "s_tmax", 'f', 0.0 },
        { "s_noise", 'f', 1.0 },
        { "k_sched_type", 's', "Automatic" },
        { "sigma_min", 'f', 0.0 },
        { "sigma_max", 'f', 0.0 },
        { "rho", 'f', 0.0 },
        { "eta_noise_seed_delta", 'i', 0 },
        { "always_discard_next_to_last_sigma", 'b', false },
        { "sgm_noise_multiplier", 'b', false },
        { "uni_pc_variant", 's', "bh1" },
        { "uni_pc_skip_type", 's', "time_uniform" },
        { "uni_pc_order", 'i', 3 },
        { "uni_pc_lower_order_final", 'b', true },
        { "sd_noise_schedule", 's', "Default" },
        // live previews
        { "show_progressbar", 'b', true },
        { "live_previews_enable", 'b', true },
        { "live_previews_image_format", 's', "png" },
        { "show_progress_grid", 'b', true },
        { "show_progress_every_n_steps", 'i', 10 },
        { "show_progress_type", 's', "Approx cheap" },
        { "live_preview_content", 's', "Prompt" },
        { "live_preview_refresh_period", 'f', 1000.0 },
        { "live_preview_fast_interrupt", 'b', false },
        // infotext
        { "send_seed", 'b', true },
        { "send_size", 'b', true },
        { "infotext_styles", 's', "Apply if any" },
        { "add_model_hash_to_info", 'b', true },
        { "add_model_name_to_info", 'b', true },
        { "add_user_name_to_info", 'b', false },
        { "add_version_to_infotext", 'b', true },
        { "disable_weights_auto_swap", 'b', true },
        { "infotext_skip_pasting", 'l', QJsonArray() },
        // API, face restoration, extra networks, UI
        { "api_enable_requests", 'b', false },
        { "api_forbid_local_requests", 'b', true },
        { "api_useragent", 's', "" },
        { "face_restoration", 'b', false },
        { "face_restoration_model", 's', "CodeFormer" },
        { "code_former_weight", 'f', 0.5 },
        { "face_restoration_unload", 'b', false },
        { "sd_lora", 's', "None" },
        { "lora_preferred_name", 's', "Alias from file" },
        { "lora_add_hashes_to_infotext", 'b', true },
        { "hide_samplers", 'l', QJsonArray() },
        { "quicksettings_list", 'l', QJsonArray { "sd_model_checkpoint" } },
        { "memmon_poll_rate", 'i', 8 },
        { "samples_log_stdout", 'b', false },
        { "multiple_tqdm", 'b', true },
        { "list_hidden_files", 'b', true },
        { "disable_mmap_load_safetensors", 'b', false },
    };
    return table;
}

bool fail(QString* msg, QString* type, const char* m, const char* t)
{
    *msg = QString::fromLatin1(m);
    *type = QString::fromLatin1(t);
    return false;
}

} // namespace

bool coerce(char kind, const QJsonValue& v, QJsonValue* out, QString* msg, QString* type)
{
    switch (kind) {
    case 'i': {
        if (v.isBool()) {
            *out = v.toBool() ? 1 : 0;
            return true;
        }
        if (v.isDouble()) {
            const double d = v.toDouble();
            // int(3.7) == 3 in pydantic v1; beyond 2^63 we cannot hold it
            if (!std::isfinite(d) || std::abs(d) >= 9.2e18)
                return fail(msg, type, "value is not a valid integer", "type_error.integer");
            *out = qint64(d);
            return true;
        }
        if (v.isString()) {
            bool ok = false;
            const qint64 n = v.toString().trimmed().toLongLong(&ok, 10);
            if (!ok)
                return fail(msg, type, "value is not a valid integer", "type_error.integer");
            *out = n;
            return true;
        }
        return fail(msg, type, "value is not a valid integer", "type_error.integer");
    }
    case 'f': {
        if (v.isBool()) {
            *out = v.toBool() ? 1.0 : 0.0;
            return true;
        }
        if (v.isDouble()) {
            *out = v.toDouble();
            return true;
        }
        if (v.isString()) {
            bool ok = false;
            const double d = v.toString().trimmed().toDouble(&ok);
            if (!ok || !std::isfinite(d))
                return fail(msg, type, "value is not a valid float", "type_error.float");
            *out = d;
            return true;
        }
        return fail(msg, type, "value is not a valid float", "type_error.float");
    }
    case 's':
        if (v.isString()) {
            *out = v;
            return true;
        }
        if (v.isBool()) { // str(True) in Python
            *out = v.toBool() ? "True" : "False";
            return true;
        }
        if (v.isDouble()) {
            const double d = v.toDouble();
            *out = d == std::floor(d) && std::abs(d) < 1e15 ? QString::number(qint64(d)) : QString::number(d);
            return true;
        }
        return fail(msg, type, "str type expected", "type_error.str");
    case 'b': {
        if (v.isBool()) {
            *out = v;
            return true;
        }
        if (v.isDouble() && (v.toDouble() == 0 || v.toDouble() == 1)) {
            *out = v.toDouble() == 1;
            return true;
        }
        if (v.isString()) {
            const QString s = v.toString().toLower();
            static const QStringList yes { "1", "on", "t", "true", "y", "yes" };
            static const QStringList no { "0", "off", "f", "false", "n", "no" };
            if (yes.contains(s) || no.contains(s)) {
                *out = yes.contains(s);
                return true;
            }
        }
        return fail(msg, type, "value could not be parsed to a boolean", "type_error.bool");
    }
    case 'l':
        if (v.isArray()) {
            *out = v;
            return true;
        }
        return fail(msg, type, "value is not a valid list", "type_error.list");
    case 'd':
        if (v.isObject()) {
            *out = v;
            return true;
        }
        return fail(msg, type, "value is not a valid dict", "type_error.dict");
    default:
        *out = v;
        return true;
    }
}

ApiOptions::ApiOptions()
{
    for (const OptionDefault& o : optionDefaults()) {
        m_values.insert(QLatin1String(o.key), o.value);
        m_kinds.insert(QLatin1String(o.key), o.kind);
    }
}

bool ApiOptions::check(const QJsonObject& changes, QJsonObject* coerced, ApiError* error) const
{
    QJsonArray details;
    QStringList unknown;
    for (auto it = changes.begin(); it != changes.end(); ++it) {
        const auto kind = m_kinds.constFind(it.key());
        if (kind == m_kinds.constEnd()) {
            unknown << it.key();
            continue;
        }
        if (it.value().isNull()) // Optional[...] in OptionsModel: null leaves the value as it is
            continue;
        QJsonValue out;
        QString msg, type;
        if (!coerce(*kind, it.value(), &out, &msg, &type))
            details.append(ApiError::detail({ "body", it.key() }, msg, type));
        else
            coerced->insert(it.key(), out);
    }
    if (!unknown.isEmpty()) {
        // A1111 answers a KeyError with 500; a client is better served by a 422 that names the keys
        *error
            = ApiError::http(422, QStringLiteral("Unknown option: %1").arg(unknown.join(", ")), "KeyError");
        return false;
    }
    if (!details.isEmpty()) {
        *error = ApiError::validation(details);
        return false;
    }
    return true;
}

void ApiOptions::apply(const QJsonObject& coerced)
{
    for (auto it = coerced.begin(); it != coerced.end(); ++it)
        m_values[it.key()] = it.value();
}

} // namespace qd::api
