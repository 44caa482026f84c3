// Diagnostics helpers.
#include "diagnostics/diagnostic.h"

namespace ckg::diag {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

}  // namespace ckg::diag
