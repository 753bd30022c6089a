"""Majority vote per clip and Avots et al.'s decision fusion (the highest of 2 x classes values)."""

import numpy as np
import pytest

from benchmark.baseline import voting


def test_majority_vote_counts_argmax_votes():
    probabilities = np.array([[0.6, 0.4, 0.0], [0.1, 0.9, 0.0], [0.2, 0.7, 0.1]])
    assert voting.majority_vote(probabilities) == 1  # 2 votes beat the single most confident row


def test_majority_vote_ties_go_to_the_higher_mean_probability():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.45, 0.55, 0.0]])
    assert voting.majority_vote(probabilities) == 0  # one vote each; class 0 has the higher mean


def test_majority_vote_only_among_allowed_classes():
    probabilities = np.array([[0.1, 0.3, 0.6], [0.2, 0.3, 0.5], [0.4, 0.1, 0.5]])
    assert voting.majority_vote(probabilities) == 2
    assert voting.majority_vote(probabilities, allowed=[0, 1]) == 1  # among 0 and 1 the rows vote 1, 1, 0


def test_majority_vote_needs_rows():
    with pytest.raises(ValueError, match="shape"):
        voting.majority_vote(np.zeros((0, 3)))


def test_fusion_takes_the_highest_of_the_twelve_values():
    audio = np.array([[0.40, 0.30, 0.10, 0.10, 0.05, 0.05]])
    visual = np.array([[0.05, 0.05, 0.10, 0.10, 0.15, 0.55]])  # 0.55 is the highest of the 12
    assert voting.fuse_max(audio, visual).tolist() == [5]
    assert voting.fuse_max(audio, visual * 0.5).tolist() == [0]  # now audio's 0.40 is the highest


def test_fusion_uses_the_other_modality_when_one_is_missing():
    audio = np.array([[0.7, 0.3], [np.nan, np.nan], [np.nan, np.nan]])
    visual = np.array([[np.nan, np.nan], [0.2, 0.8], [np.nan, np.nan]])
    assert voting.fuse_max(audio, visual, fallback=0).tolist() == [0, 1, 0]


def test_fusion_restricted_to_allowed_classes():
    audio, visual = np.array([[0.1, 0.2, 0.7]]), np.array([[0.3, 0.3, 0.4]])
    assert voting.fuse_max(audio, visual, allowed=[0, 1]).tolist() == [0]


def test_clip_means_and_votes_mark_clips_without_input():
    per_clip = [np.array([[0.2, 0.8], [0.4, 0.6]]), np.zeros((0, 2))]
    means = voting.clip_means(per_clip, 2)
    np.testing.assert_allclose(means[0], [0.3, 0.7])
    assert np.isnan(means[1]).all()
    assert voting.clip_votes(per_clip, fallback=0).tolist() == [1, 0]


def test_vote_shares():
    np.testing.assert_allclose(voting.vote_shares(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])), [2 / 3, 1 / 3])
