// A tiny SD 1.x checkpoint file (the conformance fill-rule weights) for the API tests: a real file in
// a model folder, loaded through the same path as any checkpoint, in well under a second.
// torch before Qt: Qt's `slots` keyword macro breaks ATen's headers
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"

#include <QFile>

#include "TinyCheckpoint.h"

bool writeTinyCheckpoint(const QString& folder, const QString& stem)
{
    const std::string data = QD_TEST_DATA "/conformance/";
    const auto sd = qd::tinyStateDict("sd1", data + "tiny_layouts.json");
    qd::saveSafetensors((folder + "/" + stem + ".safetensors").toStdString(), sd);
    // the tiny layout cannot be told from its weights: its config goes beside it, as A1111's NAME.yaml
    return QFile::copy(QString::fromStdString(data + "sd1-tiny.yaml"), folder + "/" + stem + ".yaml");
}
