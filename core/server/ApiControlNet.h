#pragma once
// sd-webui-controlnet's API (scripts/api.py, internal_controlnet/args.py; docs/a1111-api.md §ControlNet):
// the units of alwayson_scripts.controlnet.args, and the /controlnet/* routes (version, settings,
// model_list, module_list, detect).
#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

#include "core/generation/ControlUnits.h"
#include "core/server/ApiError.h"

namespace qd::api
{

// alwayson_scripts.controlnet: {"args": [unit, ...]} with the extension's unit fields (image /
// input_image as base64, or {"image", "mask"}, or [image, mask]; mask / mask_image; module; model;
// weight 0..2; resize_mode as name or 0/1/2; processor_res; threshold_a / _b; guidance_start / _end
// (or the old "guidance"); pixel_perfect; control_mode as name or 0/1/2; enabled, default false as
// the extension's). Disabled units are dropped. False with a 422 naming the unit and the field.
bool parseControlNetArgs(const QJsonValue& script, QList<ControlUnitRequest>* out, ApiError* error);

struct ControlNetFolders {
    QStringList models; // JobBuilder::controlNetFolders()
    QString annotators; // the first of JobBuilder::annotatorFolders(), "" when none
};

// A /controlnet/... route: true with *status / *body set when `path` is one (404 for another path
// under /controlnet), false when it is not a ControlNet route at all.
bool serveControlNetRoute(const QString& path, bool post, const QByteArray& body, const QUrlQuery& query,
    const ControlNetFolders& folders, int* status, QJsonValue* reply);

} // namespace qd::api
