# The value checker (ckptguard_values and the _checker extension) links libtorch and runs inside
# the Python environment's torch, so it is built against that torch: the environment's
# torch/share/cmake when it has one (pip wheels), else the system's libtorch (Debian's
# libtorch-dev), and only when the two agree on major.minor (Debian's python3-torch calls itself
# 1.13.0a0, its libtorch 1.13.0). CKPTGUARD_WITH_TORCH: AUTO (default) builds the checker when
# that works and says why not otherwise, ON insists, OFF leaves it out.
# Sets CKPTGUARD_WITH_TORCH to ON or OFF for the rest of the build (a normal variable that
# shadows the cache entry), CKPTGUARD_CHECKER_TORCH (the libtorch version) and
# CKPTGUARD_CHECKER_NOTE (why there is no checker).

set(CKPTGUARD_WITH_TORCH AUTO CACHE STRING "Build the libtorch value checker: AUTO, ON or OFF")
set_property(CACHE CKPTGUARD_WITH_TORCH PROPERTY STRINGS AUTO ON OFF)

set(CKPTGUARD_CHECKER_TORCH "")
set(CKPTGUARD_CHECKER_NOTE "")
string(TOUPPER "${CKPTGUARD_WITH_TORCH}" _ckg_torch_mode)

function(_ckptguard_no_checker note)
  if(_ckg_torch_mode STREQUAL "AUTO")
    message(STATUS "ckptguard: building without the checker: ${note}")
  else()
    message(FATAL_ERROR "ckptguard: CKPTGUARD_WITH_TORCH=${CKPTGUARD_WITH_TORCH} but ${note}")
  endif()
  set(CKPTGUARD_CHECKER_NOTE "${note}" PARENT_SCOPE)
endfunction()

if(NOT _ckg_torch_mode STREQUAL "AUTO" AND NOT CKPTGUARD_WITH_TORCH)
  set(CKPTGUARD_CHECKER_NOTE "built with CKPTGUARD_WITH_TORCH=OFF")
else()
  # -I: the interpreter's own site-packages even inside pip's isolated build environment; the
  # probe finds torch without importing it.
  execute_process(
    COMMAND ${PYTHON_EXECUTABLE} -I -c [=[
import importlib.metadata, importlib.util, os
spec = importlib.util.find_spec("torch")
if spec and spec.submodule_search_locations:
    print(importlib.metadata.version("torch"))
    print(os.path.join(list(spec.submodule_search_locations)[0], "share", "cmake"))
]=]
    OUTPUT_VARIABLE _ckg_probe OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _ckg_probe_rc)
  string(REPLACE "\n" ";" _ckg_probe "${_ckg_probe}")
  list(LENGTH _ckg_probe _ckg_probe_n)
  if(NOT _ckg_probe_rc EQUAL 0 OR _ckg_probe_n LESS 2)
    _ckptguard_no_checker("${PYTHON_EXECUTABLE} has no torch")
  else()
    list(GET _ckg_probe 0 CKPTGUARD_PYTHON_TORCH)
    list(GET _ckg_probe 1 _ckg_torch_cmake)
    if(IS_DIRECTORY ${_ckg_torch_cmake})
      list(PREPEND CMAKE_PREFIX_PATH ${_ckg_torch_cmake})
    endif()
    find_package(Torch QUIET)
    string(REGEX MATCH "^[0-9]+\\.[0-9]+" _ckg_python_mm "${CKPTGUARD_PYTHON_TORCH}")
    string(REGEX MATCH "^[0-9]+\\.[0-9]+" _ckg_lib_mm "${Torch_VERSION}")
    if(NOT Torch_FOUND)
      _ckptguard_no_checker("no libtorch found for torch ${CKPTGUARD_PYTHON_TORCH} (Debian: libtorch-dev)")
    elseif(NOT _ckg_python_mm STREQUAL _ckg_lib_mm)
      _ckptguard_no_checker("libtorch ${Torch_VERSION} (${Torch_DIR}) is not the environment's torch ${CKPTGUARD_PYTHON_TORCH}")
    else()
      set(CKPTGUARD_CHECKER_TORCH ${Torch_VERSION})
      # The checker's content digests: xxhash, the shared library, because Debian's libxxhash.a
      # lacks the AVX2/AVX-512 dispatch that doubles hashing speed (the checker links libtorch's
      # own dozens of system libraries anyway; the static path stays self-contained).
      pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
    endif()
  endif()
endif()

if(CKPTGUARD_CHECKER_TORCH)
  set(CKPTGUARD_WITH_TORCH ON)
else()
  set(CKPTGUARD_WITH_TORCH OFF)
endif()
