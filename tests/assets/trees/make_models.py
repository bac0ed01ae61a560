#!/usr/bin/python3
"""Trains the tree-ensemble test models and writes them as ai.onnx.ml ONNX files (no skl2onnx on this machine: the
exporter below writes the TreeEnsemble* attributes itself, as skl2onnx and onnxmltools do).

Run with Debian's python3 (python3-sklearn 1.2, python3-xgboost 1.7, python3-onnx 1.12):
    /usr/bin/python3 tests/assets/trees/make_models.py
Writes tests/assets/trees/{name}.onnx, {name}.x.f32 (test rows, float32, row-major) and {name}.expected.f32 (the
trainer's own predictions: probabilities or values), and data/ (the diabetes split). ONNX Runtime is the tests' oracle;
the trainer's predictions check this exporter (QuantGen.Ml.Tests)."""
import os, sys
import numpy as np
import onnx
from onnx import helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
CLINICAL = os.path.join(REPO, 'tests', 'assets', 'models', 'clinical-mlp', 'data')
rng = np.random.default_rng(20261207)


def f32(path, a):
    np.asarray(a, dtype='<f4').tofile(path)


def model(name, node, n_features, outputs, ml_opset=3, extra_nodes=()):
    x = helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', n_features])
    graph = helper.make_graph([node, *extra_nodes], name, [x], outputs)
    m = helper.make_model(graph, producer_name='quantgen-make-models', producer_version='1',
                          opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('ai.onnx.ml', ml_opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, name + '.onnx'))


def float32_below(t):
    """The largest float32 <= t: for float32 x, x <= t exactly when x <= float32_below(t) (scikit-learn compares float32
    features with float64 thresholds; rounding to nearest would move rows that sit next to a threshold)."""
    f = np.float32(t)
    return np.nextafter(f, np.float32(-np.inf)) if float(f) > t else f


class Trees:
    """Accumulates nodes_* and class_/target_* attribute lists, one tree at a time."""

    def __init__(self):
        self.nodes = {k: [] for k in ('treeids', 'nodeids', 'featureids', 'modes', 'values', 'truenodeids', 'falsenodeids', 'missing_value_tracks_true')}
        self.targets = {k: [] for k in ('treeids', 'nodeids', 'ids', 'weights')}
        self.count = 0

    def add_node(self, tree, node, feature=0, mode='LEAF', value=0.0, true=0, false=0, missing=0):
        for k, v in (('treeids', tree), ('nodeids', node), ('featureids', feature), ('modes', mode), ('values', float(value)),
                     ('truenodeids', true), ('falsenodeids', false), ('missing_value_tracks_true', missing)):
            self.nodes[k].append(v)

    def add_weight(self, tree, node, target, weight):
        for k, v in (('treeids', tree), ('nodeids', node), ('ids', target), ('weights', float(weight))):
            self.targets[k].append(v)

    def add_sklearn(self, tree_, leaf_weights):
        """A fitted sklearn tree_: node i tests x[feature] <= threshold (as float32), leaf_weights(i) -> [(target, w)]."""
        t = self.count
        self.count += 1
        for i in range(tree_.node_count):
            left, right = tree_.children_left[i], tree_.children_right[i]
            if left == -1:
                self.add_node(t, i)
                for target, w in leaf_weights(i):
                    self.add_weight(t, i, target, w)
            else:
                self.add_node(t, i, int(tree_.feature[i]), 'BRANCH_LEQ', float32_below(tree_.threshold[i]), int(left), int(right))

    def attributes(self, prefix, **extra):
        a = {'nodes_' + k: v for k, v in self.nodes.items()}
        a.update({prefix + k: v for k, v in self.targets.items()})
        a.update(extra)
        return a


def classifier(name, trees, classes, n_features, ml_opset=3, **attrs):
    node = helper.make_node('TreeEnsembleClassifier', ['features'], ['label', 'probabilities'], domain='ai.onnx.ml',
                            classlabels_int64s=list(classes), **trees.attributes('class_', **attrs))
    zipmap = helper.make_node('ZipMap', ['probabilities'], ['output_probability'], domain='ai.onnx.ml', classlabels_int64s=list(classes))
    # The probabilities behind a ZipMap (a sequence of maps), as skl2onnx writes a classifier.
    outputs = [helper.make_tensor_value_info('label', TensorProto.INT64, ['N'])]
    seq = onnx.TypeProto()
    seq.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    seq.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    outputs.append(helper.make_value_info('output_probability', seq))
    model(name, node, n_features, outputs, ml_opset, [zipmap])


def regressor(name, trees, targets, n_features, ml_opset=3, **attrs):
    node = helper.make_node('TreeEnsembleRegressor', ['features'], ['variable'], domain='ai.onnx.ml', n_targets=targets,
                            **trees.attributes('target_', **attrs))
    model(name, node, n_features, [helper.make_tensor_value_info('variable', TensorProto.FLOAT, ['N', targets])], ml_opset)


# ---- data ----

def clinical():
    x_train = np.fromfile(os.path.join(CLINICAL, 'calib_x.f32'), dtype='<f4').reshape(-1, 30)
    y_train = np.fromfile(os.path.join(CLINICAL, 'calib_y.i32'), dtype='<i4')
    x_test = np.fromfile(os.path.join(CLINICAL, 'test_x.f32'), dtype='<f4').reshape(-1, 30)
    return x_train, y_train, x_test


def diabetes():
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    x = x.astype(np.float32)
    order = np.random.default_rng(7).permutation(len(y))
    x, y = x[order], y[order]
    split = int(len(y) * 0.8)
    os.makedirs(os.path.join(HERE, 'data'), exist_ok=True)
    f32(os.path.join(HERE, 'data', 'diabetes_train_x.f32'), x[:split])
    f32(os.path.join(HERE, 'data', 'diabetes_train_y.f32'), y[:split])
    f32(os.path.join(HERE, 'data', 'diabetes_test_x.f32'), x[split:])
    f32(os.path.join(HERE, 'data', 'diabetes_test_y.f32'), y[split:])
    return x[:split], y[:split], x[split:], y[split:]


def save_case(name, x_test, expected):
    f32(os.path.join(HERE, name + '.x.f32'), x_test)
    f32(os.path.join(HERE, name + '.expected.f32'), expected)


# ---- scikit-learn ----

def sklearn_models():
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, GradientBoostingRegressor, RandomForestRegressor
    x_train, y_train, x_test = clinical()

    gb = GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0).fit(x_train, y_train)
    t = Trees()
    for est in gb.estimators_[:, 0]:
        t.add_sklearn(est.tree_, lambda i, tr=est.tree_: [(0, tr.value[i][0][0] * gb.learning_rate)])
    init = float(gb._raw_predict_init(x_test[:1])[0, 0])
    # One weight column: ONNX Runtime's binary layout (the log-odds of class 1), LOGISTIC gives both probabilities.
    classifier('sklearn-gbc-breast-cancer', t, [0, 1], 30, base_values=[init], post_transform='LOGISTIC')
    save_case('sklearn-gbc-breast-cancer', x_test, gb.predict_proba(x_test))
    # The ClinicalRisk sample's gradient-boosted model: the same training split and test patients as its MLP.
    import shutil
    shutil.copyfile(os.path.join(HERE, 'sklearn-gbc-breast-cancer.onnx'), os.path.join(REPO, 'samples', 'ClinicalRisk', 'models', 'clinical-risk-gbdt.onnx'))

    rf = RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0).fit(x_train, y_train)
    t = Trees()
    for est in rf.estimators_:
        tr = est.tree_
        # One column (class id 0) holding P(class 1), the layout ONNX Runtime reads as binary: [1 - p, p].
        t.add_sklearn(tr, lambda i, tr=tr: [(0, tr.value[i][0][1] / tr.value[i][0].sum() / len(rf.estimators_))])
    classifier('sklearn-rf-breast-cancer', t, [0, 1], 30)
    save_case('sklearn-rf-breast-cancer', x_test, rf.predict_proba(x_test))

    dx_train, dy_train, dx_test, _ = diabetes()
    # Three classes: the diabetes progression in tertiles.
    cuts = np.quantile(dy_train, [1 / 3, 2 / 3])
    c_train = np.digitize(dy_train, cuts)
    rf3 = RandomForestClassifier(n_estimators=40, max_depth=10, random_state=0).fit(dx_train, c_train)
    t = Trees()
    for est in rf3.estimators_:
        tr = est.tree_
        t.add_sklearn(tr, lambda i, tr=tr: [(k, tr.value[i][0][k] / tr.value[i][0].sum() / len(rf3.estimators_)) for k in range(3)])
    classifier('sklearn-rf-diabetes-3class', t, [0, 1, 2], 10)
    save_case('sklearn-rf-diabetes-3class', dx_test, rf3.predict_proba(dx_test))

    gb3 = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=0).fit(dx_train, c_train)
    t = Trees()
    for est_row in gb3.estimators_:
        for k, est in enumerate(est_row):
            t.add_sklearn(est.tree_, lambda i, tr=est.tree_, k=k: [(k, tr.value[i][0][0] * gb3.learning_rate)])
    init = gb3._raw_predict_init(dx_test[:1])[0]
    classifier('sklearn-gbc-diabetes-3class', t, [0, 1, 2], 10, base_values=[float(v) for v in init], post_transform='SOFTMAX')
    save_case('sklearn-gbc-diabetes-3class', dx_test, gb3.predict_proba(dx_test))

    gbr = GradientBoostingRegressor(n_estimators=100, max_depth=4, random_state=0).fit(dx_train, dy_train)
    t = Trees()
    for est in gbr.estimators_[:, 0]:
        t.add_sklearn(est.tree_, lambda i, tr=est.tree_: [(0, tr.value[i][0][0] * gbr.learning_rate)])
    regressor('sklearn-gbr-diabetes', t, 1, 10, base_values=[float(gbr._raw_predict_init(dx_test[:1])[0, 0])])
    save_case('sklearn-gbr-diabetes', dx_test, gbr.predict(dx_test))

    rfr = RandomForestRegressor(n_estimators=30, max_depth=12, random_state=0).fit(dx_train, dy_train)
    t = Trees()
    for est in rfr.estimators_:
        t.add_sklearn(est.tree_, lambda i, tr=est.tree_: [(0, tr.value[i][0][0])])
    regressor('sklearn-rfr-diabetes', t, 1, 10, aggregate_function='AVERAGE')
    save_case('sklearn-rfr-diabetes', dx_test, rfr.predict(dx_test))


# ---- XGBoost ----

def add_xgboost(t, booster, classes_per_round):
    """XGBoost JSON dump: x[f] < split_condition takes 'yes'; a missing value takes 'missing' (tracked when it is 'yes')."""
    import json
    for index, text in enumerate(booster.get_dump(dump_format='json')):
        tree = t.count
        t.count += 1
        stack = [json.loads(text)]
        while stack:
            n = stack.pop()
            if 'leaf' in n:
                t.add_node(tree, n['nodeid'])
                t.add_weight(tree, n['nodeid'], index % classes_per_round, n['leaf'])
                continue
            t.add_node(tree, n['nodeid'], int(n['split'][1:]), 'BRANCH_LT', np.float32(n['split_condition']), n['yes'], n['no'],
                       1 if n['missing'] == n['yes'] else 0)
            stack.extend(n['children'])


def with_missing(x, fraction=0.1):
    x = x.copy()
    x[rng.random(x.shape) < fraction] = np.nan
    return x


def xgboost_models():
    import xgboost as xgb
    x_train, y_train, x_test = clinical()
    x_train_missing = with_missing(x_train, 0.05)
    x_test_missing = with_missing(x_test, 0.1)
    clf = xgb.XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.1, base_score=0.5, random_state=0, tree_method='exact')
    clf.fit(x_train_missing, y_train)
    t = Trees()
    add_xgboost(t, clf.get_booster(), 1)
    classifier('xgboost-breast-cancer', t, [0, 1], 30, base_values=[0.0], post_transform='LOGISTIC')
    save_case('xgboost-breast-cancer', x_test_missing, clf.predict_proba(x_test_missing))

    dx_train, dy_train, dx_test, _ = diabetes()
    cuts = np.quantile(dy_train, [1 / 3, 2 / 3])
    c_train = np.digitize(dy_train, cuts)
    clf3 = xgb.XGBClassifier(n_estimators=50, max_depth=4, base_score=0.5, random_state=0, tree_method='exact')
    dx_train_missing = with_missing(dx_train, 0.05)
    dx_test_missing = with_missing(dx_test, 0.1)
    clf3.fit(dx_train_missing, c_train)
    t = Trees()
    add_xgboost(t, clf3.get_booster(), 3)
    classifier('xgboost-diabetes-3class', t, [0, 1, 2], 10, base_values=[0.5] * 3, post_transform='SOFTMAX')
    save_case('xgboost-diabetes-3class', dx_test_missing, clf3.predict_proba(dx_test_missing))

    reg = xgb.XGBRegressor(n_estimators=200, max_depth=5, base_score=150.0, random_state=0, tree_method='exact')
    reg.fit(dx_train_missing, dy_train)
    t = Trees()
    add_xgboost(t, reg.get_booster(), 1)
    regressor('xgboost-diabetes', t, 1, 10, base_values=[150.0])
    save_case('xgboost-diabetes', dx_test_missing, reg.predict(dx_test_missing))


# ---- edge cases: every mode, tracking, transform and aggregate, on rows that hit the thresholds exactly ----

def random_tree(t, depth, n_features, targets, modes, leaf_targets, thresholds, missing=0.3, grow=0.8, chain=False, weight=None):
    tree = t.count
    t.count += 1
    next_id = [0]

    def build(level, spine=True):
        i = next_id[0]
        next_id[0] += 1
        # A chain: the spine always grows (deep, unbalanced trees, as leaf-wise boosting makes), side branches rarely.
        p = (1.0 if spine else 0.25) if chain else grow
        if level == depth or (level > 0 and rng.random() > p):
            t.add_node(tree, i)
            for k in leaf_targets():
                t.add_weight(tree, i, k, weight() if weight else rng.normal())
            return i
        slot = len(t.nodes['treeids'])
        t.add_node(tree, i)  # filled below, once the children have ids
        f = int(rng.integers(n_features))
        mode = modes[int(rng.integers(len(modes)))]
        left = build(level + 1, spine)
        right = build(level + 1, False)
        for k, v in (('featureids', f), ('modes', mode), ('values', float(rng.choice(thresholds[f]))), ('truenodeids', left),
                     ('falsenodeids', right), ('missing_value_tracks_true', int(rng.random() < missing))):
            t.nodes[k][slot] = v
        return i

    build(0)


def edge_rows(thresholds, n_features, rows=300):
    """Values drawn from the thresholds, their float32 neighbours, NaN and ±inf: every comparison's boundary."""
    x = np.empty((rows, n_features), dtype=np.float32)
    for f in range(n_features):
        base = rng.choice(thresholds[f], rows).astype(np.float32)
        step = rng.integers(-1, 2, rows)
        x[:, f] = np.where(step < 0, np.nextafter(base, np.float32(-np.inf)), np.where(step > 0, np.nextafter(base, np.float32(np.inf)), base))
    x[rng.random(x.shape) < 0.08] = np.nan
    x[rng.random(x.shape) < 0.01] = np.inf
    x[rng.random(x.shape) < 0.01] = -np.inf
    return x


def edge_models():
    n_features = 6
    thresholds = [np.round(rng.normal(size=5).astype(np.float32), 2) for _ in range(n_features)]
    for f in range(n_features):
        thresholds[f][0] = 0.0  # -0 and +0 rows meet a 0 threshold
    all_modes = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ']
    x = edge_rows(thresholds, n_features)
    x[::17, 0] = -0.0

    def make(name, kind, trees, depth, modes, targets, leaf_targets, grow=0.8, chains=(), weight=None, **attrs):
        t = Trees()
        for k in range(trees):
            chain = k in chains
            random_tree(t, 16 if chain else depth, n_features, targets, modes, leaf_targets, thresholds, grow=grow, chain=chain, weight=weight)
        if kind == 'classifier':
            classifier(name, t, list(range(10, 10 + targets)), n_features, **attrs)
        else:
            regressor(name, t, targets, n_features, **attrs)
        save_case(name, x, np.zeros(1))

    one = lambda: [0]
    sparse3 = lambda: sorted(set(int(k) for k in rng.integers(0, 3, 2)))
    make('edge-modes-3class-softmax-zero', 'classifier', 40, 6, all_modes, 3, sparse3, post_transform='SOFTMAX_ZERO', base_values=[0.1, 0.0, -0.2])
    make('edge-lt-gte-3class-logistic', 'classifier', 37, 5, ['BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT'], 3, sparse3, post_transform='LOGISTIC')
    make('edge-sparse-3class-none', 'classifier', 20, 4, ['BRANCH_LEQ'], 3, lambda: [int(rng.integers(0, 2))])
    make('edge-binary-onecolumn-logistic', 'classifier', 30, 5, all_modes, 2, one, post_transform='LOGISTIC', base_values=[0.3])
    make('edge-binary-onecolumn-nobase', 'classifier', 30, 5, ['BRANCH_LEQ', 'BRANCH_GT'], 2, one, post_transform='LOGISTIC')
    make('edge-binary-twocolumn-base2', 'classifier', 25, 4, ['BRANCH_LEQ'], 2, lambda: [0, 1], base_values=[0.2, -0.1])
    make('edge-binary-class1-base2', 'classifier', 25, 4, ['BRANCH_LEQ'], 2, lambda: [1], base_values=[0.2, -0.1], post_transform='LOGISTIC')
    # PROBIT needs scores in (0, 1). (A one-column binary PROBIT leaves ONNX Runtime's second column unwritten: not testable.)
    make('edge-probit-3class', 'classifier', 12, 3, ['BRANCH_LEQ', 'BRANCH_GT'], 3, lambda: [0, 1, 2], weight=lambda: rng.random() / 13, post_transform='PROBIT')
    make('edge-regressor-min', 'regressor', 20, 5, all_modes, 1, one, aggregate_function='MIN', base_values=[1.5])
    make('edge-regressor-max-multi', 'regressor', 20, 5, all_modes, 3, sparse3, aggregate_function='MAX', base_values=[1.0, 2.0, 3.0])
    make('edge-regressor-average-multi-softmax', 'regressor', 20, 5, ['BRANCH_LEQ', 'BRANCH_LT'], 2, lambda: [0, 1], aggregate_function='AVERAGE', post_transform='SOFTMAX', base_values=[0.5, -0.5])
    make('edge-regressor-sum-probit', 'regressor', 15, 4, ['BRANCH_LEQ'], 1, lambda: [0], weight=lambda: (rng.random() - 0.5) / 16, post_transform='PROBIT', base_values=[0.5])
    make('edge-deep-flattened', 'regressor', 20, 4, ['BRANCH_LEQ', 'BRANCH_LT'], 1, one, chains=range(20))
    # Blocks of 16: the first and third complete, the second flattened (one chain of depth 16), the fourth partial.
    make('edge-mixed-blocks', 'classifier', 53, 7, ['BRANCH_LEQ'], 3, sparse3, chains=[20], post_transform='SOFTMAX')


# ---- layouts of the tree kernel: rows wider than its registers, stumps, single leaves (own random stream) ----

def layout_models():
    """The kernel's paths a model reaches by its shape: 33-64 features (four registers) and over 64 (gathered), a block
    of single-leaf trees, stumps, a class per tree; rows with and without NaN (the walk tests NaN only when a row has one)."""
    global rng
    saved, rng = rng, np.random.default_rng(20261208)
    try:
        def rows(thresholds, n_features):
            x = edge_rows(thresholds, n_features)
            clean = edge_rows(thresholds, n_features)
            clean[~np.isfinite(clean)] = 0.5
            x[1::2] = clean[1::2]  # every other row has no NaN and no infinity
            return x

        def make(name, kind, n_features, shapes, modes, targets, leaf_targets, **attrs):
            thresholds = [np.round(rng.normal(size=5).astype(np.float32), 2) for _ in range(n_features)]
            t = Trees()
            for depth, count, tree_targets in shapes:
                for _ in range(count):
                    random_tree(t, depth, n_features, targets, modes, tree_targets or leaf_targets, thresholds, grow=0.9)
            if kind == 'classifier':
                classifier(name, t, list(range(targets)), n_features, **attrs)
            else:
                regressor(name, t, targets, n_features, **attrs)
            save_case(name, rows(thresholds, n_features), np.zeros(1))

        ordered = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT']
        one = lambda: [0]
        # 40 features, 70 trees of depth 7 (split, packed and last levels; a partial last block), one weight column.
        make('layout-wide40-binary', 'classifier', 40, [(7, 70, None)], ordered, 2, one, post_transform='LOGISTIC', base_values=[0.25])
        # 100 features: the features are gathered; each tree votes for one class (boosted multi-class), 3 classes.
        per_tree = [(5, 12, (lambda k: lambda: [k])(k)) for k in range(3)]
        make('layout-wide100-3class', 'classifier', 100, per_tree, ordered, 3, None, post_transform='SOFTMAX', base_values=[0.1, 0.2, 0.3])
        # 16 single leaves (a block with no test), then 20 stumps and 9 trees of depth 2, a regressor.
        make('layout-stumps-regressor', 'regressor', 12, [(0, 16, None), (1, 20, None), (2, 9, None)], ordered, 1, one, base_values=[0.5])
    finally:
        rng = saved


# ---- pipeline operators: Scaler, Imputer, Normalizer, Linear*, Binarizer, OneHotEncoder, ArrayFeatureExtractor, LabelEncoder ----

def pipeline_models():
    from sklearn.preprocessing import StandardScaler
    from sklearn.linear_model import LogisticRegression, Ridge
    x_train, y_train, x_test = clinical()
    scaler = StandardScaler().fit(x_train)
    lr = LogisticRegression(max_iter=2000).fit(scaler.transform(x_train), y_train)
    scale = helper.make_node('Scaler', ['features'], ['scaled'], domain='ai.onnx.ml', offset=[float(v) for v in scaler.mean_], scale=[float(1 / v) for v in scaler.scale_])
    # Two coefficient rows (−w, w): LOGISTIC then gives both probabilities, as scikit-learn's predict_proba.
    w, b = lr.coef_[0], lr.intercept_[0]
    linear = helper.make_node('LinearClassifier', ['scaled'], ['label', 'probabilities'], domain='ai.onnx.ml', classlabels_ints=[0, 1],
                              coefficients=[float(v) for v in np.concatenate([-w, w])], intercepts=[float(-b), float(b)], post_transform='LOGISTIC')
    x = helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', 30])
    outputs = [helper.make_tensor_value_info('label', TensorProto.INT64, ['N']), helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', 2])]
    save(helper.make_graph([scale, linear], 'scaler-logistic', [x], outputs), 'pipeline-scaler-logistic-breast-cancer')
    save_case('pipeline-scaler-logistic-breast-cancer', x_test, lr.predict_proba(scaler.transform(x_test)))

    dx_train, dy_train, dx_test, _ = diabetes()
    ridge = Ridge(alpha=0.1).fit(dx_train, dy_train)
    means = dx_train.mean(axis=0)
    impute = helper.make_node('Imputer', ['features'], ['imputed'], domain='ai.onnx.ml', imputed_value_floats=[float(v) for v in means], replaced_value_float=float('nan'))
    regress = helper.make_node('LinearRegressor', ['imputed'], ['variable'], domain='ai.onnx.ml', coefficients=[float(v) for v in ridge.coef_], intercepts=[float(ridge.intercept_)], targets=1)
    x = helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', 10])
    save(helper.make_graph([impute, regress], 'imputer-ridge', [x], [helper.make_tensor_value_info('variable', TensorProto.FLOAT, ['N', 1])]), 'pipeline-imputer-ridge-diabetes')
    dx_missing = with_missing(dx_test, 0.1)
    save_case('pipeline-imputer-ridge-diabetes', dx_missing, ridge.predict(np.where(np.isnan(dx_missing), means, dx_missing)))

    # Every other operator once, on rows with integer-valued columns (categories) and values around the thresholds.
    n = 200
    feats = rng.normal(size=(n, 6)).astype(np.float32)
    feats[:, 0] = rng.integers(0, 5, n)
    codes = rng.integers(0, 6, n).astype(np.int64)
    x = helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', 6])
    c = helper.make_tensor_value_info('codes', TensorProto.INT64, ['N'])
    nodes = [
        helper.make_node('ArrayFeatureExtractor', ['features', 'columns'], ['picked'], domain='ai.onnx.ml'),
        helper.make_node('OneHotEncoder', ['picked'], ['onehot'], domain='ai.onnx.ml', cats_int64s=[0, 1, 2, 4], zeros=1),
        helper.make_node('Binarizer', ['features'], ['binary'], domain='ai.onnx.ml', threshold=0.25),
        helper.make_node('Normalizer', ['features'], ['max'], domain='ai.onnx.ml', norm='MAX'),
        helper.make_node('Normalizer', ['features'], ['l1'], domain='ai.onnx.ml', norm='L1'),
        helper.make_node('Normalizer', ['features'], ['l2'], domain='ai.onnx.ml', norm='L2'),
        helper.make_node('Scaler', ['features'], ['scaled'], domain='ai.onnx.ml', offset=[0.5], scale=[2.0]),
        helper.make_node('LabelEncoder', ['codes'], ['encoded'], domain='ai.onnx.ml', keys_int64s=[0, 1, 2, 3], values_int64s=[10, 20, 30, 40], default_int64=-7),
        helper.make_node('OneHotEncoder', ['codes'], ['codes_onehot'], domain='ai.onnx.ml', cats_int64s=[1, 3, 5], zeros=1),
        helper.make_node('LinearClassifier', ['features'], ['linear_label', 'linear_scores'], domain='ai.onnx.ml', classlabels_ints=[7, 8, 9],
                         coefficients=[float(v) for v in rng.normal(size=18)], intercepts=[0.1, -0.2, 0.3], post_transform='SOFTMAX'),
    ]
    columns = helper.make_tensor('columns', TensorProto.INT64, [1], [0])
    F, I = TensorProto.FLOAT, TensorProto.INT64
    outputs = [helper.make_tensor_value_info(name, t, shape) for name, t, shape in (('onehot', F, ['N', 1, 4]), ('binary', F, ['N', 6]), ('max', F, ['N', 6]),
               ('l1', F, ['N', 6]), ('l2', F, ['N', 6]), ('scaled', F, ['N', 6]), ('encoded', I, ['N']), ('codes_onehot', F, ['N', 3]),
               ('linear_label', I, ['N']), ('linear_scores', F, ['N', 3]))]
    graph = helper.make_graph(nodes, 'operators', [x, c], outputs, initializer=[columns])
    save(graph, 'pipeline-operators')
    save_case('pipeline-operators', feats, np.zeros(1))
    codes.astype('<i8').tofile(os.path.join(HERE, 'pipeline-operators.codes.i64'))


def save(graph, name):
    m = helper.make_model(graph, producer_name='quantgen-make-models', producer_version='1',
                          opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('ai.onnx.ml', 2)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, name + '.onnx'))


if __name__ == '__main__':
    which = sys.argv[1:] or ['sklearn', 'xgboost', 'edge', 'pipeline', 'layout']
    if 'sklearn' in which: sklearn_models()
    if 'xgboost' in which: xgboost_models()
    if 'edge' in which: edge_models()
    if 'pipeline' in which: pipeline_models()
    if 'layout' in which: layout_models()
    print('ok')
