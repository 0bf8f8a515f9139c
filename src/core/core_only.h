// Guard included last by every source file of the pure C++ core (src/core): it fails to
// compile if a PostgreSQL header came in. Core headers the pg zone includes stay plain C++.
#pragma once

#ifdef POSTGRES_H
#error "src/core must not be compiled together with PostgreSQL headers"
#endif
