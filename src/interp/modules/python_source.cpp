// The Python half of an overlay: source text embedded in the overlay, parsed once per process
// and executed in the namespace of the module being imported.
#include <map>
#include <mutex>

#include "interp/modules/modules.h"
#include "parse/syntax.h"

namespace ckg::interp::modules {

void run_python(Interpreter& in, ModuleNs& ns, const std::string& name, std::string_view source) {
  // Never freed, as the torch.nn catalogue: every interpreter executes the same tree. The map is
  // never destroyed either, so the trees stay reachable at exit (LeakSanitizer).
  static std::mutex guard;
  static auto* parsed = new std::map<std::string, const parse::LoadResult*>();
  const parse::LoadResult* tree = nullptr;
  {
    std::lock_guard<std::mutex> lock(guard);
    const parse::LoadResult*& slot = (*parsed)[name];
    if (!slot) slot = new parse::LoadResult(parse::parse_source("<ckptguard>/" + name, std::string(source)));
    tree = slot;
  }
  if (!tree->file) return;
  Frame frame;
  frame.file = tree->file;
  frame.env = ns.globals;
  frame.module = &ns;
  FrameScope scope(in, frame);
  for (TSNode stmt : parse::named_children(tree->file->root())) {
    try {
      in.exec_stmt(frame, stmt);
    } catch (PyError& e) {
      in.note_unresolved(tree->file->location(stmt), "overlay statement raised " + e.type + ": " + e.message);
    }
  }
}

}  // namespace ckg::interp::modules
