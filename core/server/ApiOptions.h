#pragma once
// GET/POST /sdapi/v1/options: AUTOMATIC1111's settings as one flat object (docs/a1111-api.md §2,
// models.py OptionsModel: every key typed as its default). The keys clients read and write are all
// here, with A1111's defaults, so a client may post back the whole object it read. The server acts
// on sd_model_checkpoint, sd_vae, CLIP_stop_at_last_layers, samples_format and jpeg_quality; the
// others are kept and returned (folders among them are never used: files go only where the server's
// command line says).
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include "core/server/ApiError.h"

namespace qd::api
{

class ApiOptions
{
public:
    ApiOptions();

    QJsonObject values() const { return m_values; }
    QJsonValue value(const QString& key) const { return m_values.value(key); }
    bool contains(const QString& key) const { return m_values.contains(key); }

    // Checks every key of `changes` against the known keys and their types (with pydantic v1's
    // coercions: 7.0 for an int, "1" for an int, 1 for a float, ...). Returns the coerced values, or
    // false with *error: 422 naming every unknown key or wrongly typed value.
    bool check(const QJsonObject& changes, QJsonObject* coerced, ApiError* error) const;
    void set(const QString& key, const QJsonValue& value) { m_values[key] = value; }
    void apply(const QJsonObject& coerced);

    QString checkpoint() const { return m_values.value("sd_model_checkpoint").toString(); }
    QString vae() const { return m_values.value("sd_vae").toString(); }
    int clipSkip() const { return m_values.value("CLIP_stop_at_last_layers").toInt(1); }
    QString samplesFormat() const { return m_values.value("samples_format").toString(); }
    int jpegQuality() const { return m_values.value("jpeg_quality").toInt(80); }

private:
    QJsonObject m_values;
    QHash<QString, char> m_kinds; // the type of each key's default: see coerce()
};

// pydantic v1's coercion of one value to a field type: 'b' bool, 'i' int, 'f' float, 's' str,
// 'l' list, 'd' dict, 'a' anything. False when the value does not convert; *msg and *type get
// pydantic's message and error type ("value is not a valid integer", "type_error.integer").
bool coerce(char kind, const QJsonValue& value, QJsonValue* out, QString* msg, QString* type);

} // namespace qd::api
