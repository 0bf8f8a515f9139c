// Fitting the feature weights (TF-IDF, standardisation) and weighting and normalising feature
// rows for the content and hybrid models.
#include "feature_matrix.h"

#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The raw value as the weights see it: sublinear term frequency for words.
inline double transformed(FeatureKind kind, float raw)
{
	return kind == FeatureKind::Word ? 1.0 + std::log(std::max(raw, 1.0f)) : raw;
}

} // namespace

void fit_feature_weights(FeatureMatrix *m)
{
	const size_t features = m->features();
	std::vector<double> count(features, 0.0), sum(features, 0.0), squares(features, 0.0);
	size_t rows_with_features = 0;
	for (size_t r = 0; r < m->rows.rows(); r++)
	{
		rows_with_features += m->rows.ptr[r + 1] > m->rows.ptr[r];
		for (int64_t e = m->rows.ptr[r]; e < m->rows.ptr[r + 1]; e++)
		{
			size_t f = static_cast<size_t>(m->rows.index[e]);
			double x = m->rows.value[e];
			count[f] += 1.0;
			sum[f] += x;
			squares[f] += x * x;
		}
	}
	m->offset.assign(features, 0.0f);
	m->scale.assign(features, 0.0f);
	const double n = static_cast<double>(rows_with_features);
	for (size_t f = 0; f < features; f++)
	{
		if (m->kinds[f] != FeatureKind::Number)
		{
			m->scale[f] = static_cast<float>(std::log((1.0 + n) / (1.0 + count[f])) + 1.0);
			continue;
		}
		if (count[f] == 0.0)
			continue;
		double mean = sum[f] / count[f];
		double variance = std::max(squares[f] / count[f] - mean * mean, 0.0);
		m->offset[f] = static_cast<float>(mean);
		m->scale[f] = variance > 1e-12 * std::max(1.0, mean * mean)
		                  ? static_cast<float>(1.0 / std::sqrt(variance))
		                  : 0.0f;
	}
}

void weighted_row(const FeatureMatrix &m, const int32_t *features, const float *raw, size_t n,
                  RowNorm norm, float *out)
{
	double total = 0.0;
	for (size_t j = 0; j < n; j++)
	{
		size_t f = static_cast<size_t>(features[j]);
		double w = (transformed(m.kinds[f], raw[j]) - m.offset[f]) * m.scale[f];
		out[j] = static_cast<float>(w);
		total += norm == RowNorm::L2 ? w * w : std::fabs(w);
	}
	if (total <= 0.0 || !std::isfinite(total))
	{
		std::fill(out, out + n, 0.0f);
		return;
	}
	double factor = norm == RowNorm::L2 ? 1.0 / std::sqrt(total) : 1.0 / total;
	for (size_t j = 0; j < n; j++)
		out[j] = static_cast<float>(out[j] * factor);
}

SparseRows weighted_rows(const FeatureMatrix &m, RowNorm norm)
{
	SparseRows out = m.rows;
	for (size_t r = 0; r < m.rows.rows(); r++)
	{
		int64_t first = m.rows.ptr[r];
		weighted_row(m, m.rows.index.data() + first, m.rows.value.data() + first,
		             static_cast<size_t>(m.rows.ptr[r + 1] - first), norm,
		             out.value.data() + first);
	}
	return out;
}

} // namespace pgrec
