// The native `ckptguard` executable.
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return ckg::cli::run(args, ckg::cli::Io{std::cout, std::cerr});
}
