# CMake toolchain: Linux aarch64 (arm64) with Debian's cross compiler (gcc-aarch64-linux-gnu) and
# multiarch arm64 libraries (libssl-dev:arm64 in /usr/lib/aarch64-linux-gnu); scripts/install-cross-aarch64.sh
# installs them. Tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so `ctest` works unchanged.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(USJ_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${USJ_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${USJ_CROSS_TRIPLE}-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${USJ_CROSS_TRIPLE}-ranlib CACHE FILEPATH "ranlib")
set(CMAKE_NM ${USJ_CROSS_TRIPLE}-nm CACHE FILEPATH "nm")
set(CMAKE_LIBRARY_ARCHITECTURE ${USJ_CROSS_TRIPLE})

# Libraries and headers for the target only: the cross libc in /usr/aarch64-linux-gnu, the multiarch
# arm64 packages in /usr/lib/aarch64-linux-gnu and /usr/include/aarch64-linux-gnu (reached through "/"
# with CMAKE_LIBRARY_ARCHITECTURE); never the host's x86_64 libraries. Programs (tools) come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${USJ_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (FindOpenSSL asks it first) reads the arm64 .pc files only, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${USJ_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Run the target's programs (the C tests) under qemu-user. Their dynamic loader and libc come from the
# multiarch arm64 packages (libc6:arm64, which libssl3:arm64 needs), under "/": NOT from the cross
# compiler's /usr/aarch64-linux-gnu, whose ld.so is an older build than /lib/aarch64-linux-gnu/libc.so.6
# that it finds next (libc6-arm64-cross 2.36-8cross1 beside libc6:arm64 2.36-9+deb12uN): a mismatched
# ld.so and libc hang in the first pthread_create. QEMU_AARCH64 (environment) names another emulator,
# QEMU_LD_PREFIX another target root.
if(DEFINED ENV{QEMU_AARCH64})
  set(USJ_QEMU "$ENV{QEMU_AARCH64}")
else()
  find_program(USJ_QEMU NAMES qemu-aarch64 qemu-aarch64-static)
endif()
if(DEFINED ENV{QEMU_LD_PREFIX})
  set(USJ_QEMU_LD_PREFIX "$ENV{QEMU_LD_PREFIX}")
else()
  set(USJ_QEMU_LD_PREFIX /)
endif()
if(USJ_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${USJ_QEMU};-L;${USJ_QEMU_LD_PREFIX}" CACHE STRING "runs aarch64 programs")
endif()
