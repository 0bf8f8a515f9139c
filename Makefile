# PGXS build of the pgrec extension: `make`, `make install`, `make installcheck`.
# WERROR=1 turns warnings into errors (CI); the unit tests and tools build with CMakeLists.txt.

EXTENSION = pgrec
EXTVERSION = 0.1.0
MODULE_big = pgrec

# The builds for AVX2 and AVX-512 link last: where one of their objects and a generic one hold
# the same inline function, the linker keeps the first, built for baseline x86-64.
SIMD_OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*_avx2.cpp src/core/*_avx512.cpp)))
CORE_OBJS = $(filter-out $(SIMD_OBJS),$(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp))))
PG_OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/pg/*.cpp)))
OBJS = $(CORE_OBJS) $(PG_OBJS) $(SIMD_OBJS)

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql

# setup defines helpers the other tests use, so it runs first.
REGRESS = setup $(filter-out setup,$(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -fvisibility-inlines-hidden -DEIGEN_NO_DEBUG \
	-DEIGEN_DONT_PARALLELIZE -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-register
ifdef WERROR
PG_CXXFLAGS += -Werror
endif
PG_CPPFLAGS = -I/usr/include/eigen3
SHLIB_LINK = -lstdc++ -lpthread

# The server was built with LLVM JIT support; PGXS would compile every file to bitcode with
# clang, which is not worth it for our C++ (the hot loops are in the kernels, not inlinable SQL).
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Kernels, dense blocks, row solvers and matrix products: one object per instruction set (*_generic, *_avx2,
# *_avx512), chosen at run time (src/core/instruction_set.h), so the library runs on any x86-64
# and uses AVX2 or AVX-512 where the CPU has them.
# CORE_OPT: the core's optimisation; scripts/sanitize.sh builds with -O2, which UBSan compiles
# about 1.5 times faster than -O3 (the AVX-512 products take 26 s, not 39) with the same floating
# point (neither reassociates; both contract to FMA).
CORE_OPT ?= -O3
KERNEL_FLAGS = $(CORE_OPT) -ffp-contract=fast -fno-math-errno
$(patsubst %.cpp,%.o,$(wildcard src/core/*_generic.cpp)): override CXXFLAGS += $(KERNEL_FLAGS)
ifeq ($(shell uname -m),x86_64)
$(patsubst %.cpp,%.o,$(wildcard src/core/*_avx2.cpp)): override CXXFLAGS += $(KERNEL_FLAGS) -mavx2 -mfma
$(patsubst %.cpp,%.o,$(wildcard src/core/*_avx512.cpp)): override CXXFLAGS += $(KERNEL_FLAGS) -mavx512f -mfma
endif

# The core is optimised beyond PostgreSQL's -O2; Eigen's asserts are off in the server. It is
# pure C++ compiled as its unit tests compile it: PostgreSQL's -fno-strict-aliasing and -fwrapv,
# which its C needs, are undone (they cost Eigen's products and the trainers' loops).
$(CORE_OBJS) $(SIMD_OBJS): override CXXFLAGS += $(CORE_OPT) -fstrict-aliasing -fno-wrapv

# Objects depend on the headers they include.
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

# The install script is the parts of src/sql/ in file-name order.
$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

# Quality report on the real data (../shared/data or DATA=...): bench/results/quality.md.
.PHONY: quality-report
quality-report:
	bash bench/quality_report.sh $(DATA)
