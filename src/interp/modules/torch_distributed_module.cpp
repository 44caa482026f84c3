// torch.distributed, as model constructors consult it: whether a process group is available and
// initialised. Those are facts of the process that builds the model, asked as run-time questions
// (see Interpreter::ask_runtime); everything else in the module is an Unknown.
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_torch_distributed(Interpreter& in, ModuleNs& ns) {
  for (const char* name : {"is_available", "is_initialized"}) {
    std::string question = std::string("torch.distributed.") + name + "()";
    in.set_global(&ns, name, in.builtin(std::string("torch.distributed.") + name,
                                        [question](Interpreter& i, CallArgs&) { return i.ask_runtime(question); }));
  }
}

}  // namespace ckg::interp::modules
