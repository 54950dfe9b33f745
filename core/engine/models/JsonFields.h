#pragma once
// Reading typed fields out of model config JSON (diffusers config.json, or a CompVis / Stability
// YAML that the caller converted to JSON, where numbers and booleans may arrive as strings).
// Every failure is an EngineError naming the config, the key, the value and what was expected.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/StateDict.h"

namespace qd::jsonfields
{

[[noreturn]] inline void bad(
    const std::string& what, const std::string& key, const nlohmann::json& v, const std::string& expected)
{
    throw EngineError(what + ": '" + key + "' = " + v.dump() + ", expected " + expected);
}

inline bool present(const nlohmann::json& j, const std::string& key)
{
    return j.is_object() && j.contains(key) && !j.at(key).is_null();
}

inline int64_t toInt(const std::string& what, const std::string& key, const nlohmann::json& v)
{
    if (v.is_number_integer() || v.is_number_unsigned())
        return v.get<int64_t>();
    if (v.is_number_float() && v.get<double>() == double(int64_t(v.get<double>())))
        return int64_t(v.get<double>());
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        try {
            size_t used = 0;
            const long long n = std::stoll(s, &used);
            if (used == s.size())
                return n;
        } catch (const std::exception&) {
        }
    }
    bad(what, key, v, "an integer");
}

inline int64_t getInt(const nlohmann::json& j, const std::string& key, int64_t def, const std::string& what)
{
    return present(j, key) ? toInt(what, key, j.at(key)) : def;
}

inline double getDouble(const nlohmann::json& j, const std::string& key, double def, const std::string& what)
{
    if (!present(j, key))
        return def;
    const auto& v = j.at(key);
    if (v.is_number())
        return v.get<double>();
    if (v.is_string()) {
        try {
            size_t used = 0;
            const double d = std::stod(v.get<std::string>(), &used);
            if (used == v.get<std::string>().size())
                return d;
        } catch (const std::exception&) {
        }
    }
    bad(what, key, v, "a number");
}

inline bool getBool(const nlohmann::json& j, const std::string& key, bool def, const std::string& what)
{
    if (!present(j, key))
        return def;
    const auto& v = j.at(key);
    if (v.is_boolean())
        return v.get<bool>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "true" || s == "True")
            return true;
        if (s == "false" || s == "False")
            return false;
    }
    bad(what, key, v, "true or false");
}

inline std::string getString(
    const nlohmann::json& j, const std::string& key, const std::string& def, const std::string& what)
{
    if (!present(j, key))
        return def;
    if (!j.at(key).is_string())
        bad(what, key, j.at(key), "a string");
    return j.at(key).get<std::string>();
}

// A list of integers; a single integer counts as a one-element list (`isScalar` tells which).
inline std::vector<int64_t> getIntList(const nlohmann::json& j, const std::string& key,
    const std::vector<int64_t>& def, const std::string& what, bool* isScalar = nullptr)
{
    if (isScalar)
        *isScalar = false;
    if (!present(j, key))
        return def;
    const auto& v = j.at(key);
    std::vector<int64_t> out;
    if (v.is_array()) {
        for (const auto& e : v)
            out.push_back(toInt(what, key, e));
        return out;
    }
    if (isScalar)
        *isScalar = true;
    return { toInt(what, key, v) };
}

} // namespace qd::jsonfields
