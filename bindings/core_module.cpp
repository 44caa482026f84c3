// ckptguard._core: the static-analysis engine for Python. Never links or loads libtorch.
#include <sstream>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "cli/cli.h"
#include "interp/predict.h"
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

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "ckptguard static analysis (no libtorch)";
  m.def("run_cli", &run_cli, py::arg("args"),
        "Run the ckptguard command line in-process. Returns (exit_code, stdout, stderr).");
  m.def("predict_keys_json", &predict_keys_json, py::arg("target"), py::arg("config"),
        "Predict state_dict keys of FILE::NAME built with config [(key, python_literal)], as the JSON of `keys`.");
}
