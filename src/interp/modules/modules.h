// Overlays: the native models of standard-library (and numpy) modules, one file each, installed
// into a fresh namespace the first time a module is imported (registry.cpp lists them all).
#pragma once

#include <string>
#include <string_view>
#include <vector>
#include <memory>

#include "interp/interpreter.h"

namespace ckg::interp::modules {

// Fills `ns`, the namespace of the module being imported, with the module's model.
using Installer = void (*)(Interpreter& in, ModuleNs& ns);

// The overlay for a dotted module name; null when the module has none.
Installer find(const std::string& dotted);

// Executes Python source an overlay embeds (shown as <ckptguard>/`name` in locations) in the
// namespace of the module being imported; parsed once per process (python_source.cpp).
void run_python(Interpreter& in, ModuleNs& ns, const std::string& name, std::string_view source);

// Makes `cls` a named tuple class of `fields` (_fields, _field_defaults, _replace, _asdict, _make),
// for collections.namedtuple and typing.NamedTuple alike (collections_module.cpp).
void make_namedtuple(Interpreter& in, ClassObj* cls, std::vector<std::string> fields, std::shared_ptr<DictObj> defaults);

void install_re(Interpreter& in, ModuleNs& ns);           // re_module.cpp
void install_dataclasses(Interpreter& in, ModuleNs& ns);  // dataclasses_module.cpp
void install_enum(Interpreter& in, ModuleNs& ns);         // enum_module.cpp
void install_functools(Interpreter& in, ModuleNs& ns);    // functools_module.cpp
void install_numpy(Interpreter& in, ModuleNs& ns);        // numpy_module.cpp
void install_collections(Interpreter& in, ModuleNs& ns);  // collections_module.cpp
void install_sys(Interpreter& in, ModuleNs& ns);          // sys_module.cpp
void install_os(Interpreter& in, ModuleNs& ns);           // os_module.cpp
void install_numbers(Interpreter& in, ModuleNs& ns);      // numbers_module.cpp
void install_itertools(Interpreter& in, ModuleNs& ns);    // itertools_module.cpp
void install_operator(Interpreter& in, ModuleNs& ns);     // operator_module.cpp
void install_abc(Interpreter& in, ModuleNs& ns);          // abc_module.cpp
void install_contextlib(Interpreter& in, ModuleNs& ns);   // contextlib_module.cpp
void install_string(Interpreter& in, ModuleNs& ns);       // string_module.cpp
void install_torch_distributed(Interpreter& in, ModuleNs& ns);  // torch_distributed_module.cpp

}  // namespace ckg::interp::modules
