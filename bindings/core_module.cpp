// ckptguard._core: the static-analysis engine for Python. Never links or loads libtorch.
#include <sstream>
#include <variant>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "cli/cli.h"
#include "index/project_index.h"
#include "interp/predict.h"
#include "checkpoint/checkpoint_info.h"
#include "compare/checkpoint_manifest.h"
#include "compare/load_check.h"
#include "compare/suggest.h"
#include "report/check_report.h"
#include "report/keys_report.h"

namespace py = pybind11;

namespace {

// Runs the CLI in-process; returns (exit code, stdout text, stderr text).
py::tuple run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code;
  {
    py::gil_scoped_release release;
    code = ckg::cli::run(args, ckg::cli::Io{out, err});
  }
  return py::make_tuple(code, out.str(), err.str());
}

// The interpreter's output for a script (the conformance suite): (printed text, error or "").
std::pair<std::string, std::string> run_script(const std::string& path) {
  ckg::interp::ScriptRun run;
  {
    py::gil_scoped_release release;
    run = ckg::interp::run_script(path);
  }
  if (!run.error) return {run.output, ""};
  return {run.output, run.error->file + ":" + std::to_string(run.error->line) + ": " + run.error->message};
}

// Predicts keys; returns the `keys --format json` document as a string, or raises ValueError.
std::string predict_keys_json(const std::string& target_spec, const std::vector<std::pair<std::string, std::string>>& config) {
  auto target = ckg::interp::parse_target(target_spec);
  if (!target) throw py::value_error("'" + target_spec + "' is not FILE::NAME");
  std::vector<ckg::interp::ConfigItem> items;
  for (const auto& [k, v] : config) items.push_back({k, v});
  ckg::interp::PredictionResult result;
  {
    py::gil_scoped_release release;
    result = ckg::interp::predict_keys(*target, items);
  }
  if (result.error) {
    const auto& e = *result.error;
    throw py::value_error(e.line > 0 ? e.file + ":" + std::to_string(e.line) + ": " + e.message : e.file + ": " + e.message);
  }
  ckg::report::KeysReport report{target_spec, config, result.prediction->manifest, result.prediction->unresolved};
  return ckg::report::keys_to_json(report).dump();
}

// Many predictions in one call, sharing loaded project modules. Each item is
// (target, [(key, literal)]); each result is the JSON of `keys` or {"error": message}.
std::vector<std::string> predict_keys_batch_json(
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>& items) {
  std::vector<ckg::interp::PredictionRequest> requests;
  for (const auto& [spec, config] : items) {
    auto target = ckg::interp::parse_target(spec);
    if (!target) throw py::value_error("'" + spec + "' is not FILE::NAME");
    ckg::interp::PredictionRequest r{*target, {}};
    for (const auto& [k, v] : config) r.config.push_back({k, v});
    requests.push_back(std::move(r));
  }
  std::vector<ckg::interp::PredictionResult> results;
  {
    py::gil_scoped_release release;
    results = ckg::interp::predict_keys_batch(requests);
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.error) {
      const auto& e = *r.error;
      out.push_back(nlohmann::json{{"error", e.line > 0 ? e.file + ":" + std::to_string(e.line) + ": " + e.message : e.file + ": " + e.message}}.dump());
      continue;
    }
    ckg::report::KeysReport report{items[i].first, items[i].second, r.prediction->manifest, r.prediction->unresolved};
    out.push_back(ckg::report::keys_to_json(report).dump());
  }
  return out;
}

// A key manifest given as JSON by the Python side:
// {"keys": [{"name", "kind", "shape", "dtype"}], "modules": [{"path", "type", "version"}]}.
ckg::manifest::KeyManifest manifest_from_json(const std::string& text) {
  auto doc = nlohmann::json::parse(text);
  ckg::manifest::KeyManifest out;
  for (const auto& k : doc.at("keys")) {
    ckg::manifest::KeyEntry e;
    e.name = k.at("name").get<std::string>();
    e.kind = k.value("kind", "parameter") == "buffer" ? ckg::manifest::TensorKind::buffer : ckg::manifest::TensorKind::parameter;
    if (!k.at("shape").is_null()) e.shape = k.at("shape").get<std::vector<std::int64_t>>();
    if (!k.at("dtype").is_null()) e.dtype = k.at("dtype").get<std::string>();
    out.keys.push_back(std::move(e));
  }
  for (const auto& m : doc.value("modules", nlohmann::json::array())) {
    out.modules.push_back({m.at("path").get<std::string>(), m.at("type").get<std::string>(), m.at("version").get<int>(), "", 0});
  }
  return out;
}

std::string check_report_json(const std::string& ckpt_label, const ckg::manifest::KeyManifest& ckpt,
                              const ckg::manifest::KeyManifest& model, const std::string& model_label,
                              std::optional<std::vector<std::string>> state_dict_path) {
  ckg::report::CheckReport report;
  report.checkpoint = ckpt_label;
  report.model = model_label;
  report.state_dict_path = std::move(state_dict_path);
  report.load = ckg::compare::simulate_load(ckpt, model);
  if (!report.load.compatible()) report.suggestions = ckg::compare::suggest_fixes(ckpt, model);
  return ckg::report::check_to_json(report).dump();
}

// Checks a checkpoint file against a live model's manifest (ckptguard.check_model()).
std::string check_against_manifest_json(const std::string& ckpt_path, const std::string& manifest_json, const std::string& label) {
  ckg::manifest::KeyManifest model = manifest_from_json(manifest_json);
  auto info = ckg::checkpoint::read_checkpoint(ckpt_path);
  if (!info) throw py::value_error(ckg::checkpoint::describe(info.error()));
  if (!info->state_dict_path) throw py::value_error(ckpt_path + ": no model state_dict found in the checkpoint");
  return check_report_json(ckpt_path, ckg::compare::manifest_from_checkpoint(*info), model, label, info->state_dict_path);
}

// Loads a checkpoint described only by its keys (e.g. a golden manifest) into a model's manifest.
std::string check_manifests_json(const std::string& checkpoint_json, const std::string& model_json, const std::string& label) {
  return check_report_json("<manifest>", manifest_from_json(checkpoint_json), manifest_from_json(model_json), label, std::nullopt);
}

// A checkpoint known by its keys (JSON as for check_manifests_json) loaded into FILE::NAME built
// with `config`, the model's own load hooks and overrides interpreted.
std::string simulate_load_json(const std::string& target_spec, const std::vector<std::pair<std::string, std::string>>& config,
                               const std::string& checkpoint_json) {
  auto target = ckg::interp::parse_target(target_spec);
  if (!target) throw py::value_error("'" + target_spec + "' is not FILE::NAME");
  std::vector<ckg::interp::ConfigItem> items;
  for (const auto& [k, v] : config) items.push_back({k, v});
  ckg::manifest::KeyManifest checkpoint = manifest_from_json(checkpoint_json);
  std::variant<ckg::interp::LoadSimulation, ckg::interp::PredictionError> result;
  ckg::interp::PredictionResult predicted;
  {
    py::gil_scoped_release release;
    predicted = ckg::interp::predict_keys(*target, items);
    if (predicted.prediction) result = ckg::interp::simulate_load(*target, items, checkpoint);
  }
  if (predicted.error) throw py::value_error(predicted.error->file + ": " + predicted.error->message);
  if (auto* e = std::get_if<ckg::interp::PredictionError>(&result)) throw py::value_error(e->file + ": " + e->message);
  const auto& sim = std::get<ckg::interp::LoadSimulation>(result);
  nlohmann::json out{{"compatible", sim.compatible()}, {"missing", sim.missing}, {"unexpected", sim.unexpected},
                     {"pytorch_error", sim.pytorch_error ? nlohmann::json(*sim.pytorch_error) : nlohmann::json()}};
  out["load_customizations"] = nlohmann::json::array();
  for (const auto& c : predicted.prediction->load_customizations) out["load_customizations"].push_back(c.file + ":" + std::to_string(c.line));
  return out.dump();
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "ckptguard static analysis (no libtorch)";
  m.def("run_cli", &run_cli, py::arg("args"),
        "Run the ckptguard command line in-process. Returns (exit_code, stdout, stderr).");
  m.def("predict_keys_json", &predict_keys_json, py::arg("target"), py::arg("config"),
        "Predict state_dict keys of FILE::NAME built with config [(key, python_literal)], as the JSON of `keys`.");
  m.def("simulate_load_json", &simulate_load_json, py::arg("target"), py::arg("config"), py::arg("checkpoint"),
        "load_state_dict(strict=True) of a checkpoint known by its keys into FILE::NAME, the model's load hooks interpreted.");
  m.def("check_manifests_json", &check_manifests_json, py::arg("checkpoint"), py::arg("model"), py::arg("label"),
        "What load_state_dict(strict=True) does with a state_dict described by its keys (JSON manifests); the `check` JSON.");
  m.def("check_against_manifest_json", &check_against_manifest_json, py::arg("checkpoint"), py::arg("manifest"), py::arg("label"),
        "Check a checkpoint against a live model's manifest (JSON); returns the `check` JSON document.");
  m.def("run_script", &run_script, py::arg("path"),
        "Run a Python file's top level in the interpreter; returns (what print() wrote, error or '').");
  m.def("predict_keys_batch_json", &predict_keys_batch_json, py::arg("items"),
        "Predict many targets in one process (shared project modules); JSON per item, or {\"error\": ...}.");
  m.def("set_library_path", [](std::vector<std::string> dirs) { ckg::index::set_library_path(std::move(dirs)); },
        py::arg("dirs"), "Directories of installed packages (a sys.path) that imports outside the project resolve through.");
}
