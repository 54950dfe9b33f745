#pragma once
// The body of POST /sdapi/v1/txt2img and /img2img read as AUTOMATIC1111 reads it (docs/a1111-api.md
// §1): every field optional with A1111's defaults (steps 50, sampler_index "Euler", seed -1, 512x512,
// ...), values coerced as pydantic v1 does, null taken as "not given", unknown fields ignored. Wrong
// types answer FastAPI's 422 list naming each field; values over the server's caps answer 422 too,
// in pydantic's words ("ensure this value is less than or equal to 2048").
#include <QByteArray>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include "core/engine/GenerationParams.h"
#include "core/generation/ControlUnits.h"
#include "core/server/ApiError.h"

namespace qd::api
{

class ApiOptions;

// Limits a server puts on one request (serve --max-width ...).
struct ApiCaps {
    int maxWidth = 2048;
    int maxHeight = 2048;
    int maxSteps = 150;
    int maxBatchSize = 8;
    int maxBatchCount = 100; // n_iter
};

struct GenerationRequest {
    bool img2img = false;
    GenerationParams params; // sampler and schedule resolved to A1111 labels
    QImage initImage; // img2img: the first of init_images
    QImage maskImage; // inpainting: white = repaint (inpainting_mask_invert applied)
    bool widthGiven = false; // else A1111's 512
    bool heightGiven = false;
    bool sendImages = true;
    bool saveImages = false;
    bool includeInitImages = false;
    QJsonObject overrideSettings; // checked and coerced against ApiOptions
    bool restoreAfterwards = true; // override_settings_restore_afterwards
    QStringList styles; // prompt styles by name, applied when the job is built
    QList<ControlUnitRequest> controlUnits; // alwayson_scripts.controlnet's enabled units
    QString scriptName; // "x/y/z plot" or ""
    QJsonArray scriptArgs; // its script_args, as A1111's xyz_grid run() takes them
    QJsonObject echo; // the request with A1111's defaults filled in: the response's "parameters"
    QStringList ignored; // fields asking for something QDiffusion does not do (yet), e.g. "enable_hr"
};

// Reads `body`. False with *error (422 validation list, 404 "Init image not found", 422 naming an
// unknown sampler or schedule type or an undecodable image) when the request cannot run.
bool parseGenerationRequest(const QByteArray& body, bool img2img, const ApiOptions& options,
    const ApiCaps& caps, GenerationRequest* out, ApiError* error);

// A request body that must be a JSON object (options, png-info, ...): the object, or false with
// FastAPI's 422 (malformed JSON, not an object, missing body).
bool parseJsonObject(const QByteArray& body, QJsonObject* out, ApiError* error);

// A1111's decode_base64_to_image: optional "data:image/...;base64," prefix, then base64 of a PNG,
// JPEG, WebP, ... A null image (with *why) for anything else; URLs are refused (api_enable_requests
// is off). *data, when given, gets the file's bytes (for its metadata).
QImage decodeBase64Image(const QString& encoded, QString* why, QByteArray* data = nullptr);

// A sampler name as A1111 takes it: its label or an alias, any case ("k_euler_a", "euler a"); "" when
// unknown. samplerAliases gives A1111's aliases of a label (the samplers listing).
QString canonicalSampler(const QString& name);
QStringList samplerAliases(const QString& label);
// A schedule type's label from its label, name or alias ("karras", "SGMUniform"); "" when unknown.
QString canonicalSchedule(const QString& name);

} // namespace qd::api
