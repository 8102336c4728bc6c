"""CTR/CVR prediction: the feature spec shared by training and serving, trainers (LightGBM, PyTorch DCN-V2, ESMM
CVR), calibration, metrics, the artifact format, the registry service and the predictor used by the tools.

Modules (one concept each): ``features`` / ``text`` (feature spec), ``datasets`` (loaders), ``lgbm`` / ``layers`` /
``deep`` (trainers; ``deep_config`` keeps PyTorch out of processes that need no deep model), ``training`` (the
pipeline), ``cvr`` (ESMM with label maturity), ``calibration``, ``metrics``, ``drift`` (PSI), ``bundle`` /
``artifacts`` (a trained model and its bytes), ``predictor`` (serving), ``registry`` (the service over
``db.model_registry``), ``lifecycle`` (nightly retraining), ``errors``.
"""

from models.bundle import TrainedModel
from models.calibration import Calibrator, fit_calibrator
from models.cvr import train_esmm
from models.datasets import (
    ImpressionLog,
    LabelledFrame,
    load_avazu,
    load_criteo,
    load_impression_logs,
    load_talkingdata,
)
from models.deep_config import DeepConfig
from models.errors import (
    ArtifactCorrupt,
    ArtifactError,
    ArtifactMismatch,
    DatasetError,
    FeatureError,
    ModelError,
    PromotionRefused,
    TrainingError,
)
from models.features import FeatureSchema, FeatureSpec
from models.lgbm import LgbmConfig
from models.metrics import Metrics, evaluate
from models.predictor import ChampionSlot, ChampionSource, Predictor, PriorPredictor, ServingModel
from models.training import TrainConfig, train_model

__all__ = [
    "ArtifactCorrupt",
    "ArtifactError",
    "ArtifactMismatch",
    "Calibrator",
    "ChampionSlot",
    "ChampionSource",
    "DatasetError",
    "DeepConfig",
    "FeatureError",
    "FeatureSchema",
    "FeatureSpec",
    "ImpressionLog",
    "LabelledFrame",
    "LgbmConfig",
    "Metrics",
    "ModelError",
    "Predictor",
    "PriorPredictor",
    "PromotionRefused",
    "ServingModel",
    "TrainConfig",
    "TrainedModel",
    "TrainingError",
    "evaluate",
    "fit_calibrator",
    "load_avazu",
    "load_criteo",
    "load_impression_logs",
    "load_talkingdata",
    "train_esmm",
    "train_model",
]
