"""
Splink (DuckDB backend) on the person items the hub stored, as the resolution benchmark's
comparison (bench/resolution.ts writes the input and evaluates the output with the same metrics
as the hub). Run by the bench inside its own venv (.liandong/bench/splink-venv), never by tests.

    python resolve.py INPUT.csv OUTPUT.csv [--threshold 0.9]

INPUT.csv: one row per person item, columns written by bench/resolution.ts (unique_id, the facts
as the department wrote them, normalised name pinyin, address parts, ID fragments). Its
truth_cluster column is for people reading the file; the model never reads it.
OUTPUT.csv: unique_id, cluster_id. The last line on stdout is a JSON object of timings (seconds)
and the installed versions.

Written against Splink 5 (Linker(SplinkDataFrame, settings), db_api.register, linker.training /
inference / clustering); the API was checked against the installed package.
"""

import argparse
import json
import time

import duckdb
import splink
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

MODEL_COLUMNS = [
    "unique_id", "name", "name_pinyin", "sex", "birth_date", "birth_year", "phone", "id_number", "id_head", "id_tail",
    "street", "building", "dwelling",
]


def name_comparison():
    # Exact characters, then the same pinyin (traditional characters, a space, a romanised or a
    # homophone name), then close pinyin by Jaro-Winkler.
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("name"), cll.NullLevel("name_pinyin")),
            cll.ExactMatchLevel("name"),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.92),
            cll.JaroWinklerLevel("name_pinyin", 0.80),
            cll.ElseLevel(),
        ],
    )


def address_comparison():
    # The same room, else the same building, else the same street (from the hub's address parser).
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.And(cll.NullLevel("dwelling"), cll.NullLevel("building"), cll.NullLevel("street")),
            cll.ExactMatchLevel("dwelling"),
            cll.ExactMatchLevel("building"),
            cll.ExactMatchLevel("street"),
            cll.ElseLevel(),
        ],
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        f"create table people as select {', '.join(MODEL_COLUMNS)} from read_csv(?, header = true, all_varchar = true)",
        [args.input],
    ).fetchall()
    # DuckDB 2 keeps a statement's result pending until fetched; Splink then can't use the connection.
    con.execute("alter table people alter unique_id type bigint").fetchall()
    rows = con.execute("select count(*) from people").fetchall()[0][0]
    db_api = DuckDBAPI(con)
    people = db_api.register("people")

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            name_comparison(),
            cl.LevenshteinAtThresholds("birth_date", [1, 2]),
            cl.ExactMatch("sex"),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
            address_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_pinyin", "birth_year"),
            block_on("phone"),
            block_on("dwelling"),
            block_on("id_head"),
            block_on("id_tail"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(people, settings, log_level="WARNING")
    loaded = time.perf_counter()

    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name", "birth_date", "phone")], recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=args.seed)
    # Each EM session fixes the fields it blocks on and learns the others' m probabilities.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_pinyin", "birth_year"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dwelling"))
    trained = time.perf_counter()

    predictions = linker.inference.predict(threshold_match_probability=min(0.5, args.threshold))
    predicted = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=args.threshold)
    pairs = con.execute(f"select count(*) from {predictions.physical_name} where match_probability >= ?", [args.threshold]).fetchall()[0][0]
    con.execute(
        f"copy (select unique_id, cluster_id from {clusters.physical_name} order by unique_id) to '{args.output}' (header, delimiter ',')"
    ).fetchall()
    done = time.perf_counter()
    print(json.dumps({
        "rows": rows,
        "pairsAboveThreshold": pairs,
        "threshold": args.threshold,
        "loadS": loaded - started,
        "trainS": trained - loaded,
        "predictS": predicted - trained,
        "clusterS": done - predicted,
        "totalS": done - started,
        "splink": splink.__version__,
        "duckdb": duckdb.__version__,
    }))


if __name__ == "__main__":
    main()
