"""The SVM + neighbours estimator: votes, their weight in the scores, small training sets and two labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from govdesk.dispatch.core.classifier import SvmKnn

# Six training rows in a 4-term space: labels a (terms 0–1), b (terms 2–3), one odd row of b that looks like a.
X = csr_matrix(
    np.array(
        [
            [1.0, 0.2, 0.0, 0.0],
            [0.9, 0.1, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.3],
            [0.0, 0.0, 0.8, 0.5],
            [0.0, 0.1, 0.9, 0.2],
            [1.0, 0.25, 0.0, 0.0],  # labelled b, but a twin of the first row
        ],
        dtype=np.float32,
    )
)
Y = np.array(["a", "a", "b", "b", "b", "b"])
Z = np.array(["a", "a", "b", "b", "c", "c"])


def test_votes_are_similarity_weighted_shares_of_the_nearest_rows() -> None:
    model = SvmKnn(neighbours=2, power=1, knn_weight=0.5).fit(X, Y)
    votes = model.votes(csr_matrix(np.array([[0.0, 0.0, 1.0, 0.3]], dtype=np.float32)))
    assert votes.shape == (1, 2)
    assert votes.sum() == pytest.approx(1.0)
    assert votes[0, 1] == pytest.approx(1.0)  # both nearest rows are b
    twin = model.votes(X[0])
    # Nearest: row 0 (a, itself) and row 5 (b, similarity ~0.999): about half each.
    assert twin[0, 0] == pytest.approx(0.5, abs=0.01)
    assert twin[0, 1] == pytest.approx(0.5, abs=0.01)


def test_scores_are_the_svm_scores_plus_the_weighted_votes() -> None:
    model = SvmKnn(neighbours=3, power=4, knn_weight=0.5).fit(X, Z)
    query = csr_matrix(np.array([[0.2, 0.0, 1.0, 0.1], [0.0, 0.0, 0.0, 0.0]], dtype=np.float32))
    expected = model.svm_.decision_function(query) + 0.5 * model.votes(query)
    assert np.allclose(model.decision_function(query), expected)
    # A message sharing no term with any training row gets no vote at all (not a division by zero).
    assert np.array_equal(model.votes(query)[1], np.zeros(3))
    assert list(model.predict(query)) == [model.classes_[i] for i in expected.argmax(axis=1)]


def test_more_neighbours_than_rows_and_two_labels_work() -> None:
    model = SvmKnn(neighbours=50).fit(X, Y)
    scores = model.decision_function(X)
    assert scores.shape == (6,)  # two labels: one score per row, positive for classes_[1], like scikit-learn
    assert np.allclose(scores, model.svm_.decision_function(X) + model.knn_weight * np.diff(model.votes(X)).ravel())
    assert set(model.predict(X)) <= {"a", "b"}


def test_the_neighbours_can_change_the_answer() -> None:
    # The twin of row 0 labelled b: with a heavy vote its nearest training rows decide; without it the SVM does.
    query = csr_matrix(np.array([[1.0, 0.24, 0.0, 0.0]], dtype=np.float32))
    without = SvmKnn(neighbours=1, knn_weight=0.0).fit(X, Y)
    heavy = SvmKnn(neighbours=1, knn_weight=100.0).fit(X, Y)
    assert without.predict(query)[0] == "a"
    assert heavy.predict(query)[0] == "b"
