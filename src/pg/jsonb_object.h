// Building a flat jsonb object with PostgreSQL's jsonb API (pushJsonbValue): string and number
// members and arrays of integers; used for the stored hyper-parameters and metrics.
#pragma once

#include "postgres_headers.h"

extern "C"
{
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

// Appends "key": value (a string) to the object under construction. May ereport.
void push_jsonb_string(JsonbParseState **state, const char *key, const char *value);

// Appends "key": number (a numeric Datum), or "key": null when is_null. May ereport.
void push_jsonb_number(JsonbParseState **state, const char *key, Datum number, bool is_null);

// Appends key: [values[0], ..., values[n - 1]].
void push_jsonb_integers(JsonbParseState **state, const char *key, const int *values, int n);
