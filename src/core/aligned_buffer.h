// Float buffers aligned to 64 bytes for the neural trainers: Eigen's vectorised products and sums
// peel a different number of leading elements for each alignment of an unaligned buffer, so the
// rounding of a result would depend on where the allocator put it. With every buffer on a 64-byte
// boundary a seed gives the same factors on every run.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace pgrec
{

template <class T> struct AlignedAllocator
{
	using value_type = T;
	static constexpr std::align_val_t kAlignment{64};

	AlignedAllocator() = default;
	template <class U> AlignedAllocator(const AlignedAllocator<U> &) noexcept
	{
	}
	T *allocate(size_t n)
	{
		return static_cast<T *>(::operator new(n * sizeof(T), kAlignment));
	}
	void deallocate(T *p, size_t) noexcept
	{
		::operator delete(p, kAlignment);
	}
	template <class U> bool operator==(const AlignedAllocator<U> &) const noexcept
	{
		return true;
	}
	template <class U> bool operator!=(const AlignedAllocator<U> &) const noexcept
	{
		return false;
	}
};

using AlignedFloats = std::vector<float, AlignedAllocator<float>>;

} // namespace pgrec
