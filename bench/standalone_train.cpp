// The training core outside PostgreSQL: reads interaction files, trains with the same code the
// extension runs, evaluates, and prints timings; the baseline for the in-database overhead.
// Usage: standalone_train --train F --test F [--format triples|lines] [--algorithm als|ials|bpr]
//        [--factors N] [--epochs N] [--regularization X] [--alpha X] [--learning-rate X]
//        [--threads N] [--seed N] [--k N] [--min-rating X] [--every N] [--normalization X]
//        [--loss warp|bpr|ials|squared] [--item-features F] [--user-features F] [--cold-items F
//        --cold-test F]
// Feature files hold `id<TAB>feature<TAB>value` lines (every feature a category, value ignored);
// they are read for the algorithms that learn from features. --cold-items lists items held out of
// training and --cold-test their positives: each user with one ranks the held-out items (AUC).
#include "algorithm_registry.h"
#include "evaluation.h"
#include "feature_builder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace
{

struct Triples
{
	std::vector<int64_t> users, items;
	std::vector<float> values;
};

// "user item rating" (any separators of spaces, tabs or "::") or "user item item ..." lines.
Triples read_file(const std::string &path, bool lines, double min_rating)
{
	Triples t;
	std::ifstream in(path);
	if (!in)
	{
		std::fprintf(stderr, "cannot read %s\n", path.c_str());
		std::exit(2);
	}
	std::string line;
	while (std::getline(in, line))
	{
		for (char &c : line)
			if (c == ':' || c == '\t' || c == ',')
				c = ' ';
		std::istringstream fields(line);
		int64_t user, item;
		if (!(fields >> user))
			continue;
		if (lines)
		{
			while (fields >> item)
			{
				t.users.push_back(user);
				t.items.push_back(item);
				t.values.push_back(1.0f);
			}
			continue;
		}
		double rating = 1.0;
		if (!(fields >> item))
			continue;
		fields >> rating;
		if (rating < min_rating)
			continue;
		t.users.push_back(user);
		t.items.push_back(item);
		t.values.push_back(static_cast<float>(rating));
	}
	return t;
}

// The features of `id<TAB>feature<TAB>value` lines as categories of one column, in builder.
void read_features(const std::string &path, pgrec::FeatureBuilder *builder)
{
	std::ifstream in(path);
	if (!in)
	{
		std::fprintf(stderr, "cannot read %s\n", path.c_str());
		std::exit(2);
	}
	std::map<int64_t, std::vector<std::string>> rows;
	std::string line;
	while (std::getline(in, line))
	{
		size_t tab = line.find('\t'), end = line.find('\t', tab + 1);
		if (tab == std::string::npos)
			continue;
		rows[std::stoll(line.substr(0, tab))].push_back(line.substr(tab + 1, end - tab - 1));
	}
	for (const auto &row : rows)
	{
		builder->begin_entity(row.first);
		for (const std::string &f : row.second)
			builder->add(0, pgrec::FeatureKind::Category, f.data(), f.size(), 1.0f);
	}
}

// The mean over users of the AUC of the held-out candidates ranked by score (ties by index):
// the share of (liked, not liked) candidate pairs ordered right.
double cold_auc(const std::vector<float> &uf, const std::vector<float> &itf,
                const std::vector<float> &ib, bool biases, int dim,
                const std::vector<int32_t> &candidates,
                const std::map<int64_t, std::vector<int32_t>> &liked)
{
	double sum = 0.0;
	size_t users = 0;
	std::vector<std::pair<float, int32_t>> order(candidates.size());
	for (const auto &entry : liked)
	{
		const size_t p = entry.second.size(), n = candidates.size();
		if (p == 0 || p >= n)
			continue;
		const float *pu = uf.data() + entry.first * dim;
		for (size_t c = 0; c < n; c++)
		{
			const float *qi = itf.data() + static_cast<size_t>(candidates[c]) * dim;
			float s = biases ? ib[candidates[c]] : 0.0f;
			for (int d = 0; d < dim; d++)
				s += pu[d] * qi[d];
			order[c] = {-s, candidates[c]};
		}
		std::sort(order.begin(), order.end());
		// Pairs ordered right: for each liked candidate, the not-liked ones ranked below it.
		double right = 0.0;
		size_t liked_above = 0;
		for (size_t r = 0; r < n; r++)
			if (std::binary_search(entry.second.begin(), entry.second.end(), order[r].second))
			{
				right += static_cast<double>(n - r - 1) - static_cast<double>(p - liked_above - 1);
				liked_above++;
			}
		sum += right / (static_cast<double>(p) * static_cast<double>(n - p));
		users++;
	}
	return users ? sum / static_cast<double>(users) : 0.0;
}

double now()
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
	    .count();
}

} // namespace

int main(int argc, char **argv)
{
	std::map<std::string, std::string> opt = {{"--format", "triples"},
	                                          {"--algorithm", "als"},
	                                          {"--factors", "64"},
	                                          {"--epochs", "15"},
	                                          {"--regularization", "0.05"},
	                                          {"--alpha", "1"},
	                                          {"--learning-rate", "0.05"},
	                                          {"--threads", "1"},
	                                          {"--seed", "42"},
	                                          {"--k", "10"},
	                                          {"--min-rating", "-1e30"},
	                                          {"--every", "0"},
	                                          {"--init-scale", "0.1"},
	                                          {"--cg-steps", ""},
	                                          {"--block-size", "0"},
	                                          {"--bias-regularization", "0.05"},
	                                          {"--regularization-exponent", "1"},
	                                          {"--normalization", "0"}};
	for (int a = 1; a + 1 < argc; a += 2)
		opt[argv[a]] = argv[a + 1];
	if (!opt.count("--train") || !opt.count("--test"))
	{
		std::fprintf(stderr, "usage: %s --train FILE --test FILE [options]\n", argv[0]);
		return 2;
	}

	pgrec::Hyperparameters h;
	std::string algorithm = opt["--algorithm"];
	const pgrec::AlgorithmEntry *entry = pgrec::find_algorithm(algorithm.c_str());
	if (entry == nullptr || entry->make_trainer == nullptr)
	{
		std::fprintf(stderr, "unknown algorithm %s\n", algorithm.c_str());
		return 2;
	}
	h.factors = std::atoi(opt["--factors"].c_str());
	h.epochs = std::atoi(opt["--epochs"].c_str());
	h.regularization = std::atof(opt["--regularization"].c_str());
	h.bias_regularization = std::atof(opt["--bias-regularization"].c_str());
	h.regularization_exponent = std::atof(opt["--regularization-exponent"].c_str());
	h.alpha = std::atof(opt["--alpha"].c_str());
	h.learning_rate = std::atof(opt["--learning-rate"].c_str());
	h.threads = std::atoi(opt["--threads"].c_str());
	h.seed = std::strtoull(opt["--seed"].c_str(), nullptr, 10);
	h.init_scale = std::atof(opt["--init-scale"].c_str());
	// --cg-steps unset: the algorithm's default (ials 3, als 0: the exact solve).
	h.cg_steps =
	    opt["--cg-steps"].empty() ? entry->defaults.cg_steps : std::atoi(opt["--cg-steps"].c_str());
	h.block_size = std::atoi(opt["--block-size"].c_str());
	h.normalization = std::atof(opt["--normalization"].c_str());
	if (opt.count("--hidden-layers")) // comma-separated sizes, e.g. 256,128
	{
		h.hidden_layers = pgrec::LayerSizes();
		const char *p = opt["--hidden-layers"].c_str();
		for (char *end; *p && h.hidden_layers.count < pgrec::kMaxHiddenLayers; p = *end ? end + 1 : end)
			h.hidden_layers.size[h.hidden_layers.count++] = static_cast<int>(std::strtol(p, &end, 10));
	}
	if (opt.count("--batch-size"))
		h.batch_size = std::atoi(opt["--batch-size"].c_str());
	if (opt.count("--loss"))
		h.loss = pgrec::parameter_choice(*pgrec::find_parameter("loss"), opt["--loss"].c_str());
	int k = std::atoi(opt["--k"].c_str()), every = std::atoi(opt["--every"].c_str());
	bool lines = opt["--format"] == "lines";
	double min_rating = std::atof(opt["--min-rating"].c_str());

	const bool rated = pgrec::trains_on_ratings(*entry, h);
	double t0 = now();
	Triples train = read_file(opt["--train"], lines, min_rating);
	Triples test = read_file(opt["--test"], lines, min_rating);
	double t_read = now();
	pgrec::Interactions data = pgrec::build_interactions(
	    train.users.data(), train.items.data(), rated ? train.values.data() : nullptr,
	    train.users.size(), pgrec::duplicate_policy(*entry, h));
	pgrec::FeatureBuilder item_features, user_features;
	bool with_items = opt.count("--item-features") && (entry->feature_sides & pgrec::kItemFeatures);
	bool with_users = opt.count("--user-features") && (entry->feature_sides & pgrec::kUserFeatures);
	if (with_items)
		read_features(opt["--item-features"], &item_features);
	if (with_users)
		read_features(opt["--user-features"], &user_features);
	{
		std::vector<int64_t> u = user_features.entities(), i = item_features.entities();
		pgrec::add_entities(&data, u.data(), u.size(), i.data(), i.size());
		if (with_items)
			data.item_features = item_features.build(data.item_ids);
		if (with_users)
			data.user_features = user_features.build(data.user_ids);
	}
	std::vector<float> uf(data.users() * h.factors), itf(data.items() * h.factors);
	std::vector<float> ub(data.users()), ib(data.items());
	bool biases = entry->biases;
	pgrec::FactorBuffers buffers = {uf.data(), itf.data(), biases ? ub.data() : nullptr,
	                                biases ? ib.data() : nullptr};
	double t_data = now();
	std::unique_ptr<pgrec::Trainer> trainer = pgrec::make_trainer(*entry, data, h, buffers);

	// Test set in dense indices.
	std::vector<pgrec::TestRating> ratings;
	std::map<int64_t, std::vector<int32_t>> relevant;
	std::map<int64_t, size_t> unknown;
	for (size_t r = 0; r < test.users.size(); r++)
	{
		int64_t u = pgrec::dense_index(data.user_ids.data(), data.users(), test.users[r]);
		int64_t i = pgrec::dense_index(data.item_ids.data(), data.items(), test.items[r]);
		ratings.push_back({u, i, test.values[r]});
		if (u < 0)
			continue;
		if (i < 0)
			unknown[u]++;
		else
			relevant[u].push_back(static_cast<int32_t>(i));
	}
	std::vector<pgrec::RankingCase> case_list;
	for (auto &entry : relevant)
	{
		std::sort(entry.second.begin(), entry.second.end());
		entry.second.erase(std::unique(entry.second.begin(), entry.second.end()),
		                   entry.second.end());
		case_list.push_back(
		    {entry.first, entry.second.data(), entry.second.size(), unknown[entry.first]});
	}
	auto evaluate = [&](const char *label)
	{
		pgrec::ModelView view = {uf.data(),
		                         itf.data(),
		                         biases ? ub.data() : nullptr,
		                         biases ? ib.data() : nullptr,
		                         trainer->global_mean(),
		                         data.users(),
		                         data.items(),
		                         h.factors,
		                         nullptr,
		                         nullptr};
		double t = now();
		pgrec::RankingMetrics m = pgrec::ranking_metrics(
		    view, {data.by_user.ptr.data(), data.by_user.index.data()}, case_list.data(),
		    case_list.size(), k, h.threads, pgrec::no_cancel());
		std::printf("%s", label);
		if (rated)
		{
			pgrec::RatingErrors e = pgrec::rating_errors(view, ratings.data(), ratings.size(),
			                                             data.min_value, data.max_value);
			std::printf(" rmse=%.4f mae=%.4f", e.rmse, e.mae);
		}
		std::printf(" recall@%d=%.4f ndcg@%d=%.4f precision=%.4f hit=%.4f map=%.4f coverage=%.4f"
		            " users=%zu (eval %.2fs)\n",
		            k, m.recall, k, m.ndcg, m.precision, m.hit_rate, m.map, m.coverage, m.users,
		            now() - t);
	};

	double train_seconds = 0;
	for (int e = 1; e <= h.epochs; e++)
	{
		double t = now();
		trainer->run_epoch(pgrec::no_cancel());
		double dt = now() - t;
		train_seconds += dt;
		std::printf("epoch %d loss %.5f %.3fs\n", e, trainer->loss(), dt);
		if (every > 0 && e % every == 0 && e < h.epochs)
			evaluate("  eval:");
	}
	std::printf("read %.2fs, build %.2fs, train %.2fs (%.3fs/epoch), users %zu items %zu nnz %zu\n",
	            t_read - t0, t_data - t_read, train_seconds, train_seconds / h.epochs, data.users(),
	            data.items(), data.nnz());
	evaluate("final:");
	if (opt.count("--cold-items") && opt.count("--cold-test"))
	{
		Triples cold = read_file(opt["--cold-test"], true, min_rating);
		std::ifstream in(opt["--cold-items"]);
		std::vector<int32_t> candidates;
		int64_t id;
		while (in >> id)
		{
			int64_t i = pgrec::dense_index(data.item_ids.data(), data.items(), id);
			if (i >= 0)
				candidates.push_back(static_cast<int32_t>(i));
		}
		std::map<int64_t, std::vector<int32_t>> liked;
		for (size_t r = 0; r < cold.users.size(); r++)
		{
			int64_t u = pgrec::dense_index(data.user_ids.data(), data.users(), cold.users[r]);
			int64_t i = pgrec::dense_index(data.item_ids.data(), data.items(), cold.items[r]);
			if (u >= 0 && i >= 0)
				liked[u].push_back(static_cast<int32_t>(i));
		}
		for (auto &entry : liked)
			std::sort(entry.second.begin(), entry.second.end());
		std::printf("cold items: %zu of them, auc=%.4f over %zu users\n", candidates.size(),
		            cold_auc(uf, itf, ib, biases, h.factors, candidates, liked), liked.size());
	}
	return 0;
}
