# Third-party libraries, chosen so that the `ckptguard` executable and the `_core` extension need
# nothing but the C/C++ runtime at run time (ldd: libc, libm, libstdc++, libgcc_s): tree-sitter
# and libdeflate come from their static archives, fmt, toml++ and nlohmann-json are used header-only.
# Debian ships no libfmt.a, and its toml++ CMake package links libtomlplusplus.so: both are
# declared here as header-only targets under their usual names, so src/ links fmt::fmt and
# tomlplusplus::tomlplusplus as any project would. The checker's libraries are in Torch.cmake.

find_package(PkgConfig REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(pybind11 CONFIG REQUIRED)

# Header-only everywhere, not only in targets that link fmt::fmt: a file that includes fmt
# through another target's headers must not expect libfmt's compiled functions.
find_path(CKPTGUARD_FMT_INCLUDE_DIR fmt/format.h REQUIRED)
add_compile_definitions(FMT_HEADER_ONLY=1)
add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${CKPTGUARD_FMT_INCLUDE_DIR})

find_path(CKPTGUARD_TOMLPLUSPLUS_INCLUDE_DIR toml++/toml.h REQUIRED)
add_library(tomlplusplus::tomlplusplus INTERFACE IMPORTED)
set_target_properties(tomlplusplus::tomlplusplus PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${CKPTGUARD_TOMLPLUSPLUS_INCLUDE_DIR}
  INTERFACE_COMPILE_DEFINITIONS TOML_HEADER_ONLY=1)

# ckptguard_link_static(TARGET ARCHIVE): make a pkg-config imported target link ARCHIVE
# (e.g. libtree-sitter.a) instead of the shared library pkg-config names.
function(ckptguard_link_static target archive)
  string(MAKE_C_IDENTIFIER "CKPTGUARD_STATIC_${archive}" var)
  find_library(${var} NAMES ${archive} REQUIRED)
  set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES ${${var}})
endfunction()

pkg_check_modules(TREE_SITTER REQUIRED IMPORTED_TARGET tree-sitter)
ckptguard_link_static(PkgConfig::TREE_SITTER libtree-sitter.a)

# libdeflate inflates and checks the CRCs of the few compressed records of torch.save archives
# (Debian's libz.a is not position-independent, so it cannot go into _core).
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
ckptguard_link_static(PkgConfig::LIBDEFLATE libdeflate.a)
