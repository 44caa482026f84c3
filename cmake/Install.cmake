# Install rules: the layout of a wheel, which build_backend/ckptguard_backend.py stages with
# `cmake --install BUILD --prefix STAGE --strip` and packs. bin/ holds the native command (the
# wheel's script, so the installed `ckptguard` is the binary itself); CKPTGUARD_INSTALL_PACKAGE_DIR
# the extensions and _build_info.py, next to the Python sources the backend adds.
set(CKPTGUARD_INSTALL_PACKAGE_DIR ckptguard CACHE STRING
    "Where `cmake --install` puts the extension modules, relative to the prefix (wheel layout)")

install(TARGETS ckptguard RUNTIME DESTINATION bin)
install(TARGETS _core LIBRARY DESTINATION ${CKPTGUARD_INSTALL_PACKAGE_DIR})
install(FILES ${CKPTGUARD_PACKAGE_DIR}/_build_info.py DESTINATION ${CKPTGUARD_INSTALL_PACKAGE_DIR})
if(CKPTGUARD_WITH_TORCH)
  install(TARGETS _checker LIBRARY DESTINATION ${CKPTGUARD_INSTALL_PACKAGE_DIR})
  # A pip-installed torch keeps libtorch in site-packages/torch/lib: record where it was built
  # against (system directories need no entry).
  get_filename_component(_ckg_torch_lib_dir "${TORCH_LIBRARY}" DIRECTORY)
  if(_ckg_torch_lib_dir AND NOT _ckg_torch_lib_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set_target_properties(_checker PROPERTIES INSTALL_RPATH "${_ckg_torch_lib_dir}")
  endif()
endif()
