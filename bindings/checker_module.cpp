// ckptguard._checker: the libtorch value checker, imported lazily by ckptguard.checker.
#include <torch/extension.h>

#include <string>
#include <utility>

#include "values/mapped_checkpoint.h"
#include "values/tensor_digest.h"
#include "values/verify.h"

namespace py = pybind11;

namespace {

using ckg::values::MappedCheckpoint;
using ckg::values::Result;

// The edge where error values become exceptions: ValueError with the reader's one-line message.
template <class T>
T value_or_raise(Result<T> result) {
  if (!result) throw py::value_error(ckg::checkpoint::describe(result.error()));
  return std::move(result).value();
}

py::object optional_text(const std::optional<std::string>& text) {
  return text ? py::object(py::str(*text)) : py::object(py::none());
}

py::dict report_to_dict(const ckg::values::VerifyReport& report) {
  py::list keys;
  for (const auto& key : report.keys) {
    py::dict entry;
    entry["name"] = key.name;
    entry["status"] = std::string(ckg::values::to_string(key.status));
    entry["checkpoint_digest"] = optional_text(key.checkpoint_digest);
    entry["model_digest"] = optional_text(key.model_digest);
    entry["detail"] = key.detail;
    if (key.status == ckg::values::KeyStatus::bytes_differ) {
      entry["first_difference"] = key.first_difference;
      entry["differing_elements"] = key.differing_elements;
    }
    keys.append(std::move(entry));
  }
  py::dict out;
  out["equal"] = report.equal();
  out["keys"] = std::move(keys);
  out["missing"] = report.missing;
  out["unexpected"] = report.unexpected;
  return out;
}

py::dict verify_state_dict(const std::string& path, const py::dict& tensors) {
  ckg::values::NamedTensors model;
  for (const auto& [key, value] : tensors) {
    model.emplace_back(key.cast<std::string>(), value.cast<at::Tensor>());
  }
  Result<ckg::values::VerifyReport> report = [&]() -> Result<ckg::values::VerifyReport> {
    py::gil_scoped_release release;
    auto checkpoint = MappedCheckpoint::open(path);
    if (!checkpoint) return std::move(checkpoint).error();
    return ckg::values::verify_state_dict(*checkpoint, model);
  }();
  return report_to_dict(value_or_raise(std::move(report)));
}

py::dict verify_checkpoints(const std::string& path_a, const std::string& path_b) {
  Result<ckg::values::VerifyReport> report = [&]() -> Result<ckg::values::VerifyReport> {
    py::gil_scoped_release release;
    auto a = MappedCheckpoint::open(path_a);
    if (!a) return std::move(a).error();
    auto b = MappedCheckpoint::open(path_b);
    if (!b) return std::move(b).error();
    return ckg::values::verify_checkpoints(*a, *b);
  }();
  return report_to_dict(value_or_raise(std::move(report)));
}

at::Tensor load_tensor(const std::string& path, const std::string& name) {
  MappedCheckpoint checkpoint = value_or_raise(MappedCheckpoint::open(path));
  const auto index = checkpoint.find(name);
  if (!index) throw py::key_error(path + ": no tensor named " + name);
  return value_or_raise(checkpoint.tensor(*index));
}

py::dict checkpoint_digests(const std::string& path) {
  auto digests = [&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
    py::gil_scoped_release release;
    auto checkpoint = MappedCheckpoint::open(path);
    if (!checkpoint) return std::move(checkpoint).error();
    return ckg::values::state_dict_digests(*checkpoint);
  }();
  py::dict out;
  for (const auto& [key, digest] : value_or_raise(std::move(digests))) out[py::str(key)] = digest;
  return out;
}

}  // namespace

PYBIND11_MODULE(_checker, m) {
  m.doc() = "ckptguard value checker (libtorch)";
  m.def("tensor_digest", &ckg::values::tensor_digest, py::arg("tensor"),
        "xxh3-64 of the tensor's dtype, shape and bytes, as 16 hex digits.");
  m.def("bit_equal", &ckg::values::bit_equal, py::arg("a"), py::arg("b"),
        "True when dtype, shape and every byte are identical.");
  m.def("verify_state_dict", &verify_state_dict, py::arg("path"), py::arg("tensors"),
        "Bit-exact comparison of the checkpoint's state_dict with a dict of tensors.");
  m.def("verify_checkpoints", &verify_checkpoints, py::arg("path_a"), py::arg("path_b"),
        "Bit-exact comparison of two checkpoints' state_dicts (path_b in the model's role).");
  m.def("load_tensor", &load_tensor, py::arg("path"), py::arg("name"),
        "The named tensor as a view of the memory-mapped file.");
  m.def("checkpoint_digests", &checkpoint_digests, py::arg("path"),
        "tensor_digest of every state_dict tensor, keyed like the state_dict.");
}
