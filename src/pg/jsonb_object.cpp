// Members of a jsonb object under construction: one key, then its value.
#include "jsonb_object.h"

extern "C"
{
#include "utils/fmgrprotos.h"
}

// Appends the key of the next member.
static void push_key(JsonbParseState **state, const char *key)
{
	JsonbValue k;
	k.type = jbvString;
	k.val.string.val = (char *)key;
	k.val.string.len = (int)strlen(key);
	(void)pushJsonbValue(state, WJB_KEY, &k);
}

void push_jsonb_string(JsonbParseState **state, const char *key, const char *value)
{
	push_key(state, key);
	JsonbValue v;
	v.type = jbvString;
	v.val.string.val = (char *)value;
	v.val.string.len = (int)strlen(value);
	(void)pushJsonbValue(state, WJB_VALUE, &v);
}

void push_jsonb_number(JsonbParseState **state, const char *key, Datum number, bool is_null)
{
	push_key(state, key);
	JsonbValue v;
	if (is_null)
		v.type = jbvNull;
	else
	{
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(number);
	}
	(void)pushJsonbValue(state, WJB_VALUE, &v);
}

void push_jsonb_integers(JsonbParseState **state, const char *key, const int *values, int n)
{
	push_key(state, key);
	(void)pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int j = 0; j < n; j++)
	{
		JsonbValue v;
		v.type = jbvNumeric;
		v.val.numeric =
		    DatumGetNumeric(DirectFunctionCall1(int4_numeric, Int32GetDatum(values[j])));
		(void)pushJsonbValue(state, WJB_ELEM, &v);
	}
	(void)pushJsonbValue(state, WJB_END_ARRAY, NULL);
}
