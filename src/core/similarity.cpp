// Row similarities by sparse accumulation: for a query row, every row sharing a column with it
// gets the sum of the products of their values over the shared columns (the work is the sum over
// the query's columns of their lengths), then the measure's denominator and the shrinkage.
#include "similarity.h"

#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The mean of n values (0 for none), as every mean of the similarities is taken.
float mean_of(const float *values, size_t n)
{
	double sum = 0;
	for (size_t e = 0; e < n; e++)
		sum += values[e];
	return n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
}

std::vector<float> row_means(const NeighborView &rows)
{
	std::vector<float> means(rows.rows, 0.0f);
	for (size_t r = 0; r < rows.rows; r++)
		means[r] =
		    mean_of(rows.weight + rows.ptr[r], static_cast<size_t>(rows.ptr[r + 1] - rows.ptr[r]));
	return means;
}

} // namespace

RowSimilarity::RowSimilarity(const NeighborView &rows, const NeighborView &columns, int similarity,
                             double shrinkage)
    : rows_(rows), columns_(columns), similarity_(similarity), shrinkage_(shrinkage)
{
	if (similarity == kAdjustedCosine)
		column_means_ = row_means(columns);
	else if (similarity == kPearson)
		row_means_ = row_means(rows);
	norms_.resize(rows.rows);
	std::vector<float> x;
	for (size_t r = 0; r < rows.rows; r++)
	{
		size_t n = static_cast<size_t>(rows.ptr[r + 1] - rows.ptr[r]);
		x.resize(n);
		for (size_t e = 0; e < n; e++)
			x[e] = value(static_cast<int32_t>(r), rows.index[rows.ptr[r] + e],
			             rows.weight[rows.ptr[r] + e]);
		norms_[r] = norm(x.data(), n);
	}
}

float RowSimilarity::value(int32_t row, int32_t column, float value) const
{
	switch (similarity_)
	{
	case kAdjustedCosine:
		return value - column_means_[static_cast<size_t>(column)];
	case kPearson:
		return value - row_means_[static_cast<size_t>(row)];
	case kJaccard:
		return 1.0f;
	default:
		return value;
	}
}

void RowSimilarity::query_values(const int32_t *columns, const float *values, size_t n,
                                 float *out) const
{
	float own_mean = similarity_ == kPearson ? mean_of(values, n) : 0.0f;
	for (size_t e = 0; e < n; e++)
		out[e] = similarity_ == kPearson ? values[e] - own_mean : value(-1, columns[e], values[e]);
}

double RowSimilarity::norm(const float *x, size_t n) const
{
	double sum = 0.0;
	for (size_t e = 0; e < n; e++)
		sum += static_cast<double>(x[e]) * x[e];
	return similarity_ == kJaccard ? sum : std::sqrt(sum);
}

double RowSimilarity::denominator(double query_norm, int32_t r, double dot) const
{
	double row_norm = norms_[static_cast<size_t>(r)];
	return (similarity_ == kJaccard ? query_norm + row_norm - dot : query_norm * row_norm) +
	       shrinkage_;
}

namespace
{

// Clears the marks and sums of the listed rows when similar() returns or throws, so that a
// scratch kept across calls is clean even after an allocation failure.
struct ScratchReset
{
	SimilarityScratch &s;
	~ScratchReset()
	{
		for (int32_t r : s.list)
		{
			s.dot[static_cast<size_t>(r)] = 0.0;
			s.touched[static_cast<size_t>(r)] = 0;
		}
		s.list.clear();
	}
};

} // namespace

void RowSimilarity::similar(const int32_t *columns, const float *values, size_t n, int64_t self,
                            size_t keep, SimilarityScratch &scratch, NeighborRow &out) const
{
	ScratchReset reset{scratch};
	std::vector<float> x(n);
	query_values(columns, values, n, x.data());
	double query_norm = norm(x.data(), n);
	std::vector<double> &dot = scratch.dot;
	std::vector<uint8_t> &touched = scratch.touched;
	std::vector<int32_t> &list = scratch.list;
	list.clear();
	for (size_t e = 0; e < n; e++)
	{
		int32_t c = columns[e];
		double xq = x[e];
		for (int64_t f = columns_.ptr[c]; f < columns_.ptr[c + 1]; f++)
		{
			int32_t r = columns_.index[f];
			if (r == self)
				continue;
			if (!touched[r])
			{
				list.push_back(r); // first: a failed push leaves no mark unlisted
				touched[r] = 1;
			}
			dot[r] += xq * value(r, c, columns_.weight[f]);
		}
	}
	out.clear();
	for (int32_t r : list)
	{
		double d = denominator(query_norm, r, dot[r]);
		double s = d > 0 ? dot[r] / d : 0.0;
		if (s > 0)
			out.emplace_back(r, static_cast<float>(s));
	}
	keep_strongest(out, keep);
}

SparseRows similar_rows(const RowSimilarity &s, size_t keep, int threads, const CancelToken &cancel)
{
	const NeighborView &rows = s.rows();
	std::vector<NeighborRow> out(rows.rows);
	parallel_for(rows.rows, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             SimilarityScratch scratch(rows.rows);
		             for (size_t r = begin; r < end; r++)
		             {
			             cancel.check();
			             s.similar(rows.index + rows.ptr[r], rows.weight + rows.ptr[r],
			                       static_cast<size_t>(rows.ptr[r + 1] - rows.ptr[r]),
			                       static_cast<int64_t>(r), keep, scratch, out[r]);
		             }
	             });
	return assemble_rows(out);
}

namespace
{

class SimilarityTrainer : public NeighborTrainer
{
  public:
	SimilarityTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b,
	                  bool of_users)
	    : NeighborTrainer(data, h, b), of_users_(of_users)
	{
	}

  protected:
	SparseRows compute(const CancelToken &cancel) override
	{
		NeighborView users = neighbor_view(data_.by_user), items = neighbor_view(data_.by_item);
		RowSimilarity s(of_users_ ? users : items, of_users_ ? items : users, h_.similarity,
		                h_.shrinkage);
		return similar_rows(s, static_cast<size_t>(h_.neighbors), h_.threads, cancel);
	}

  private:
	bool of_users_;
};

} // namespace

std::unique_ptr<Trainer> make_similarity_trainer(const Interactions &data, const Hyperparameters &h,
                                                 const FactorBuffers &b, bool of_users)
{
	return std::make_unique<SimilarityTrainer>(data, h, b, of_users);
}

} // namespace pgrec
