// Exceptions the core throws for the pg zone's guard to turn into SQLSTATEs: invalid
// arguments (22023), bad data (22000), numeric divergence (22003), a cancel request (57014).
// std::bad_alloc means 53200.
#pragma once

#include <stdexcept>
#include <string>

namespace pgrec
{

// A parameter outside its valid range.
class InvalidArgument : public std::invalid_argument
{
  public:
	using std::invalid_argument::invalid_argument;
};

// Input data that cannot be used (no interactions, inconsistent dimensions, ...).
class DataError : public std::runtime_error
{
  public:
	using std::runtime_error::runtime_error;
};

// A training run whose values became NaN or infinite.
class NumericDivergence : public std::runtime_error
{
  public:
	using std::runtime_error::runtime_error;
};

// A long call stopped because its cancellation token fired (cancel_token.h).
class Cancelled : public std::runtime_error
{
  public:
	using std::runtime_error::runtime_error;
};

} // namespace pgrec
