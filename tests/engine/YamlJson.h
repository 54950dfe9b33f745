#pragma once
// Test helper: a CompVis / Stability YAML file as JSON, the form the engine's config readers take.
#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace qdtest
{

inline nlohmann::json yamlToJson(const YAML::Node& node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& kv : node)
            j[kv.first.as<std::string>()] = yamlToJson(kv.second);
        return j;
    }
    case YAML::NodeType::Sequence: {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& e : node)
            j.push_back(yamlToJson(e));
        return j;
    }
    case YAML::NodeType::Scalar: {
        if (node.Tag() == "!") // quoted: always a string
            return node.as<std::string>();
        long long i;
        double d;
        bool b;
        if (YAML::convert<long long>::decode(node, i))
            return i;
        if (YAML::convert<double>::decode(node, d))
            return d;
        if (YAML::convert<bool>::decode(node, b))
            return b;
        return node.as<std::string>();
    }
    default:
        return nullptr;
    }
}

inline nlohmann::json yamlFileToJson(const std::string& path)
{
    return yamlToJson(YAML::LoadFile(path));
}

} // namespace qdtest
