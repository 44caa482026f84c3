// `ckptguard branches FILE::NAME [--config KEY=VALUE]... [--fail-incomplete] [--format text|json]`
#include "cli/commands.h"
#include "cli/target_request.h"
#include "interp/branches.h"
#include "manifest/completeness.h"
#include "report/branches_report.h"

namespace ckg::cli {

static const char* const kBranchesUsage =
    "usage: ckptguard branches FILE::NAME [--config KEY=VALUE]... [--python PYTHON] [--fail-incomplete] [--format text|json]\n"
    "  Enumerate the configuration branches of NAME: each distinct state_dict it can have, a\n"
    "  witness configuration for it, and which branch's checkpoint loads into which.\n"
    "  --fail-incomplete: exit 1 unless every branch is complete and exploration finished.\n";

int run_branches(const std::vector<std::string>& argv, Io io) {
  auto request = parse_target_request(argv, "branches", kBranchesUsage, io, false, {"text", "json"}, {"--fail-incomplete"});
  if (!request.run) return request.exit_code;
  interp::BranchResult result = interp::enumerate_branches(request.target, request.config);
  if (result.error) return report_prediction_error(*result.error, io);
  report::BranchesReport report{request.spec, *result.set};
  if (request.format == "json") io.out << report::branches_to_json(report).dump(2) << "\n";
  else io.out << report::render_branches_text(report);
  if (request.flags.count("--fail-incomplete") && !manifest::incompleteness(report.set).empty()) return kExitFindings;
  return kExitOk;
}

}  // namespace ckg::cli
