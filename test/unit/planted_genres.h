// Planted genres for the unit tests of the models that learn from features (hybrid, two_tower):
// users who like one genre each, items of three genres, and cold items and users known only by
// features that say their genre.
#pragma once

#include "factor_init.h"
#include "feature_matrix.h"
#include "interactions.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace
{

constexpr int kGenres = 3;
constexpr int kWarmItems = 45, kColdItems = 15, kItems = kWarmItems + kColdItems;
constexpr int kWarmUsers = 60, kColdUsers = kGenres;

// Item r's genre; users like genre u % kGenres.
inline int genre(int r)
{
	return r % kGenres;
}

// Features of each entity: its genre (features 0..kGenres-1) and a category that says nothing
// (kGenres + (r * 7 / 3) % 4), each with raw value 1, weighted as fit_feature_weights does.
inline pgrec::FeatureMatrix genre_features(int rows)
{
	pgrec::FeatureMatrix m;
	m.kinds.assign(kGenres + 4, pgrec::FeatureKind::Category);
	m.rows.ptr.push_back(0);
	for (int r = 0; r < rows; r++)
	{
		m.rows.index.push_back(genre(r));
		m.rows.index.push_back(kGenres + (r * 7 / 3) % 4);
		m.rows.value.insert(m.rows.value.end(), {1.0f, 1.0f});
		m.rows.ptr.push_back(static_cast<int64_t>(m.rows.index.size()));
	}
	pgrec::fit_feature_weights(&m);
	return m;
}

// Users 0..kWarmUsers-1 each interact with 8 warm items of their genre (one of them held out
// when held_out is given) and one item of another genre; the cold items (and, with user
// features, cold users) are known only by features. Ids are the dense indices.
inline pgrec::Interactions planted(bool item_features, bool user_features, uint64_t seed,
                                   std::vector<int32_t> *held_out = nullptr)
{
	pgrec::Random rng(seed);
	std::vector<int64_t> users, items;
	for (int u = 0; u < kWarmUsers; u++)
	{
		std::vector<int> liked;
		while (liked.size() < 8)
		{
			int i = static_cast<int>(rng.below(kWarmItems / kGenres)) * kGenres + genre(u);
			if (std::find(liked.begin(), liked.end(), i) == liked.end())
				liked.push_back(i);
		}
		liked.push_back((liked[0] + 1) % kWarmItems); // noise: another genre
		if (held_out)
		{
			held_out->push_back(liked[0]);
			liked.erase(liked.begin());
		}
		for (int i : liked)
		{
			users.push_back(u);
			items.push_back(i);
		}
	}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), nullptr,
	                                                  users.size(), pgrec::DuplicatePolicy::Sum);
	std::vector<int64_t> cold_items(kItems), cold_users(kWarmUsers + kColdUsers);
	std::iota(cold_items.begin(), cold_items.end(), 0);
	std::iota(cold_users.begin(), cold_users.end(), 0);
	pgrec::add_entities(&d, cold_users.data(), user_features ? cold_users.size() : 0,
	                    cold_items.data(), item_features ? cold_items.size() : 0);
	if (item_features)
		d.item_features = genre_features(kItems);
	if (user_features)
		d.user_features = genre_features(static_cast<int>(d.users()));
	return d;
}

} // namespace
