"""Builders of the Clusters page: figures and texts from small frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.clusters import (
    agreement_heatmap,
    agreement_matrix,
    ari_sentence,
    cluster_rows,
    cluster_scatter,
    sample_note,
    silhouette_sentence,
    sweep_figure,
)

CENTROIDS = pd.DataFrame(
    {
        "cluster": [0, 1],
        "name": ["low watch, recent", "high watch, inactive"],
        "watch_time_hours": [5.04, 80.26],
        "days_since_last_login": [20.0, 300.55],
        "customers": [30, 12],
    }
)


def test_sample_note_reads_like_a_sentence() -> None:
    assert sample_note(5000, 25000) == "5,000 of 25,000 customers shown"
    assert sample_note(812, 812) == "All 812 customers shown"


def test_scatter_is_webgl_per_cluster_with_named_centroids() -> None:
    sample = pd.DataFrame(
        {
            "cluster": [0, 0, 1],
            "watch_time_hours": [1.0, 2.0, 90.0],
            "days_since_last_login": [10, 20, 400],
        }
    )
    figure = cluster_scatter(sample, CENTROIDS)
    gl = [trace for trace in figure.data if isinstance(trace, go.Scattergl)]
    assert [trace.name for trace in gl] == ["0: low watch, recent", "1: high watch, inactive"]
    assert list(gl[0].x) == [1.0, 2.0]
    centroid = figure.data[-1]
    assert centroid.name == "Centroids"
    assert list(centroid.x) == [5.04, 80.26]
    labels = [annotation.text for annotation in figure.layout.annotations]
    assert labels == ["0: low watch, recent", "1: high watch, inactive"]


def test_agreement_matrix_fills_missing_cells_and_keeps_segment_order() -> None:
    frame = pd.DataFrame(
        {"cluster": [1, 0, 0], "segment": ["Risky", "Loyal", "Dormant"], "customers": [4, 7, 2]}
    )
    matrix = agreement_matrix(frame, CENTROIDS)
    assert list(matrix.columns) == ["Loyal", "Dormant", "Risky"]
    assert matrix.to_numpy().tolist() == [[7, 2, 0], [0, 0, 4]]
    heatmap = agreement_heatmap(frame, CENTROIDS).data[0]
    assert list(heatmap.y) == ["0: low watch,<br>recent", "1: high watch,<br>inactive"]
    assert [list(row) for row in heatmap.text] == [["7", "2", "0"], ["0", "0", "4"]]


def test_scores_are_explained_in_plain_words() -> None:
    assert ari_sentence(0.02).startswith("Near 0: clusters and rules group customers differently")
    assert "almost the same way" in ari_sentence(0.9)
    assert "Not defined" in ari_sentence(None)
    assert "clearly separated" in silhouette_sentence(0.75)
    assert "overlap heavily" in silhouette_sentence(0.1)
    assert "Not defined" in silhouette_sentence(float("nan"))


def test_sweep_marks_the_chosen_k() -> None:
    sweep = pd.DataFrame(
        {"k": [2, 3, 4], "inertia": [90.0, 50.0, 40.0], "silhouette": [0.5, 0.6, None]}
    )
    figure = sweep_figure(sweep, 3)
    assert [trace.name.split(" ")[0] for trace in figure.data] == ["Inertia", "Silhouette"]
    assert list(figure.data[1].y) == [0.5, 0.6, None]
    assert figure.layout.shapes[0].x0 == 3
    assert figure.layout.annotations[0].text == "chosen k = 3"


def test_cluster_rows_round_centroids_and_add_filtered_sizes() -> None:
    filtered = pd.DataFrame({"cluster": [1], "customers": [5]})
    rows = cluster_rows(CENTROIDS, filtered)
    assert rows[0] == {
        "cluster": 0,
        "name": "low watch, recent",
        "watch_time_hours": 5.0,
        "days_since_last_login": 20.0,
        "customers": 30,
        "filtered": 0,
    }
    assert rows[1]["filtered"] == 5
    assert rows[1]["days_since_last_login"] == 300.6
