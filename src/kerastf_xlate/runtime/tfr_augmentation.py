"""Random image augmentation layers (``keras.layers.RandomFlip``, ``RandomRotation``, ...).

What Keras 3 does, and these classes do the same:

- **Inference** (``training=False``, e.g. ``model.predict``) is the identity, with Keras's
  dtype handling: float inputs come out in the layer's compute dtype (float32); the
  geometric layers (flip, rotation, zoom, translation, shear) and Solarization,
  RandomSharpness, RandomGaussianBlur, RandomErasing also cast integer images to float32;
  the other colour layers leave integer images as they are; ``RandomCrop`` returns its
  input untouched (no crop, no cast). ``AutoContrast`` is not random and applies in
  inference too, as in Keras. Inside a TensorFlow graph (a ``tf.data`` map, ``fit``'s and
  ``predict``'s ``tf.function``) Keras's ``DataLayer`` first converts every input to the
  compute dtype (integer images too), and so do these classes (``_data_layer_inputs``).
- **Training**: calling the layer without ``training`` trains (``call`` defaults to
  ``training=True``), so ``layer(x)`` and ``model(x)`` augment and ``model(x,
  training=False)`` does not, as in Keras. (Not reproduced: Keras hands an EXPLICIT
  ``layer(x, training=None)`` on to ``call``, which then does not augment; here, as in
  tfr_base, an explicit None means "not given".) Random parameters are drawn per image of a
  batch (a single ``(height, width, channels)`` image is a batch of one); ``RandomCrop``
  draws one window for the whole batch, as Keras does.
- **Randomness**: each layer owns a ``tf.random.Generator`` (seeded with ``seed``, or
  non-deterministic when ``seed`` is None) whose state is a variable, so every call draws
  new values, also inside ``tf.function``; each draw feeds a stateless op
  (``tf.random.stateless_uniform``). The numbers differ from Keras's own generator; the
  distributions are Keras's (factor ranges, probabilities, value ranges).
- The geometric layers build Keras's 8-parameter projective matrix and apply it with the
  op Keras's TensorFlow backend uses (``ImageProjectiveTransformV3``), so a transformation
  of fixed strength (e.g. ``RandomRotation((0.1, 0.1))``) gives Keras's pixels.

Images are ``channels_last`` by default; ``data_format="channels_first"`` is handled by
transposing to channels-last around the computation. Keras's dict inputs (``images`` with
``labels`` / ``bounding_boxes`` / ``segmentation_masks``) are translated for ``{"images",
"labels"}`` only: the labels pass unchanged, except in MixUp and CutMix, which mix them too
(other keys raise NotImplementedError). Each class
splits a call into ``_draw(images)`` (this call's random parameters, for a channels-last
batch) and ``_apply(images, params)``, in the layout of Keras's transformation, so Keras's
own draws can be applied and compared.
"""

import math

import tensorflow as tf
from tfr_base import Layer
from tfr_ops import _ops_elastic, _ops_homography, _ops_mean
from tfr_preprocessing import _data_layer_inputs

# --- shared helpers ------------------------------------------------------------------------


def _aug_factor(layer, factor, bounds, name="factor"):
    """``(lower, upper)`` of a Keras factor: a number ``f`` means ``(max(-f, low), f)``
    (so ``(0, f)`` for factors bounded below by 0), a pair is sorted."""
    low, high = bounds
    message = (f"{type(layer).__name__}: `{name}` should be a number (or a list of two numbers) in the range "
               f"[{low}, {high}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > high or factor[1] < low:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        if factor < low or factor > high:
            raise ValueError(message)
        factor = abs(factor)
        return max(-factor, low), factor
    raise ValueError(message)


def _aug_range_factor(layer, factor, name, lowest_exclusive, low=-1.0):
    """``(lower, upper)`` of RandomZoom/RandomTranslation/RandomShear's factors: a number
    ``f`` means ``(-f, f)``; each given value lies in [low, 1] ((-1, 1] for zoom; [0, 1]
    for shear)."""
    def check(value):
        if value > 1.0 or value < low or (lowest_exclusive and value == low):
            raise ValueError(f"{type(layer).__name__}: `{name}` values must lie in "
                             f"{'(' if lowest_exclusive else '['}{low}, 1.0]. Received: {name}={factor}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{type(layer).__name__}: `{name}` must be a number or a pair. Received: {factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(f"{type(layer).__name__}: `{name}` must be a number or a pair. Received: {factor}")


def _aug_value_range(layer, value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{type(layer).__name__}: `value_range` should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return sorted(value_range)


def _aug_data_format(layer, data_format):
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__}: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    return data_format


def _aug_generator(seed):
    """The layer's random generator, made outside any ``tf.function`` trace (its state is a
    variable, like Keras's ``SeedGenerator``)."""
    with tf.init_scope():
        if seed is None:
            return tf.random.Generator.from_non_deterministic_state()
        return tf.random.Generator.from_seed(int(seed))


def _aug_hw(images):
    """Height and width of an NHWC batch as float32 scalars (static when known)."""
    shape = tf.shape(images)
    height = images.shape[1] if images.shape[1] is not None else shape[1]
    width = images.shape[2] if images.shape[2] is not None else shape[2]
    return tf.cast(height, tf.float32), tf.cast(width, tf.float32)


def _aug_affine_matrix(angle, translate_x, translate_y, scale, shear_x, shear_y, height, width):
    """Keras's projective matrix (``BaseImagePreprocessingLayer._compute_affine_matrix``):
    for each image, scale·shear·rotation about the image centre, then a translation, as the
    8 numbers ``[a0, a1, a2, b0, b1, b2, 0, 0]`` that map output pixels to input pixels.
    Angles are in degrees; the arithmetic is in Keras's order so the floats agree."""
    to_radians = tf.constant(math.pi / 180.0, tf.float32)
    angle = angle * to_radians
    shear_x = tf.math.tan(shear_x * to_radians)
    shear_y = tf.math.tan(shear_y * to_radians)
    cx = 0.5 * (width - 1.0)
    cy = 0.5 * (height - 1.0)
    cos, sin = tf.math.cos(angle), tf.math.sin(angle)
    a0 = scale * (cos + shear_x * sin)
    a1 = scale * (-sin + shear_x * cos)
    a2 = translate_x + cx - cx * a0 - cy * a1
    b0 = scale * (shear_y * cos + sin)
    b1 = scale * (shear_y * -sin + cos)
    b2 = translate_y + cy - cx * b0 - cy * b1
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _aug_project(images, matrix, interpolation, fill_mode, fill_value):
    """Resample an NHWC batch through per-image projective matrices (Keras's
    ``ops.image.affine_transform`` on TensorFlow)."""
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=tf.cast(matrix, tf.float32), output_shape=tf.shape(images)[1:3],
        fill_value=tf.cast(fill_value, tf.float32), interpolation=interpolation.upper(), fill_mode=fill_mode.upper())
    return tf.ensure_shape(out, images.shape)


_AUG_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_AUG_INTERPOLATIONS = ("nearest", "bilinear")


def _aug_check_resampling(layer, fill_mode, interpolation):
    if fill_mode not in _AUG_FILL_MODES:
        raise NotImplementedError(f"{type(layer).__name__}: unknown fill_mode {fill_mode!r}, "
                                  f"expected one of {_AUG_FILL_MODES}")
    if interpolation not in _AUG_INTERPOLATIONS:
        raise NotImplementedError(f"{type(layer).__name__}: unknown interpolation {interpolation!r}, "
                                  f"expected one of {_AUG_INTERPOLATIONS}")


def _aug_unchanged(images):
    """The inference output: the images as they are, as a new tensor. (A layer whose output
    IS its input tensor would make a graph function's layer-order walk, in tfr_base, see the
    layer as its own parent.)"""
    return tf.identity(images)


class _ImageAugmentation(Layer):
    """What the augmentation layers share: Keras's input conversion, single images and
    channels-first images around a batched channels-last computation, and the generator."""

    _cast_floats = True  # Keras's Layer.__call__ casts float inputs to the compute dtype
    _takes_dicts = False  # True: ``call`` handles Keras's dict inputs itself (MixUp, CutMix)

    def __call__(self, inputs, *args, **kwargs):
        """Keras's dict input ``{"images": ..., "labels": ...}``: the images are augmented, the
        labels pass unchanged (as every augmentation layer but MixUp and CutMix leaves them).
        Inside a TensorFlow graph every input is first converted to the compute dtype, as
        Keras's ``DataLayer`` converts it (``_data_layer_inputs``)."""
        inputs = _data_layer_inputs(self, inputs)
        if not isinstance(inputs, dict) or self._takes_dicts:
            return super().__call__(inputs, *args, **kwargs)
        if "images" not in inputs or set(inputs) - {"images", "labels"}:
            raise NotImplementedError(f"{type(self).__name__} on a dict with keys {sorted(inputs)} is not translated; "
                                      "pass {'images': ..., 'labels': ...} or the images tensor")
        out = dict(inputs)
        out["images"] = super().__call__(inputs["images"], *args, **kwargs)
        if "labels" in out:
            out["labels"] = tf.convert_to_tensor(out["labels"])
        return out

    def _aug_setup(self, seed, data_format=None):
        self.seed = seed
        self.data_format = _aug_data_format(self, data_format)
        self._generator = _aug_generator(seed)

    def _aug_images(self, inputs):
        """The input as a tensor of rank 3 or 4, floats in the compute dtype."""
        if isinstance(inputs, dict):
            raise NotImplementedError(f"{type(self).__name__} on a dict of images/labels/bounding boxes/"
                                      "segmentation masks is not translated; pass the images tensor")
        images = tf.convert_to_tensor(inputs)
        if images.shape.rank not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected images of rank 3 (one image) or 4 (a batch), "
                             f"got shape {images.shape}")
        if self._cast_floats and images.dtype.is_floating and images.dtype != self.compute_dtype:
            images = tf.cast(images, self.compute_dtype)
        return images

    def _aug_batched(self, images, transform):
        """``transform`` on an NHWC batch, for one image or a batch in either data format."""
        single = images.shape.rank == 3
        x = images[None] if single else images
        if self.data_format == "channels_first":
            x = tf.transpose(x, [0, 2, 3, 1])
        x = transform(x)
        if self.data_format == "channels_first":
            x = tf.transpose(x, [0, 3, 1, 2])
        return x[0] if single else x

    def _augment(self, images):
        """Draw this call's random parameters and apply them (an NHWC batch); subclasses
        split the two as ``_draw(images)`` and ``_apply(images, params)``."""
        return self._apply(images, self._draw(images))

    def _aug_uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        """Uniform values in [minval, maxval) from a fresh seed of the layer's generator."""
        seed = self._generator.make_seeds(1)[:, 0]
        return tf.random.stateless_uniform(shape, seed=seed, minval=minval, maxval=maxval, dtype=dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


# --- geometric layers -------------------------------------------------------------------


class RandomFlip(_ImageAugmentation):
    """``keras.layers.RandomFlip``: each image is flipped with probability 1/2. In
    ``"horizontal_and_vertical"`` mode ONE draw decides both flips (Keras flips an image
    both ways or not at all, a 180-degree turn), not two independent draws."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: unknown mode {mode!r}")
        self.mode = mode
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """Which images flip: booleans of shape (batch, 1, 1, 1)."""
        return self._aug_uniform(tf.stack([tf.shape(images)[0], 1, 1, 1])) <= 0.5

    def _apply(self, images, flips):
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = tf.where(flips, tf.reverse(images, axis=[2]), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = tf.where(flips, tf.reverse(images, axis=[1]), images)
        return images


class RandomRotation(_ImageAugmentation):
    """``keras.layers.RandomRotation``: each image turns about its centre by an angle drawn
    uniformly from ``[lower, upper] * 360`` degrees (``factor=f`` means ``[-f, f]``;
    positive is counter-clockwise), resampled with ``interpolation`` and ``fill_mode``."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (-1, 1))
        _aug_check_resampling(self, fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The angles in degrees, one per image."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        return self._aug_uniform(batch, self.factor[0] * 360.0, self.factor[1] * 360.0)

    def _apply(self, images, angle):
        height, width = _aug_hw(images)
        zeros, ones = tf.zeros_like(angle), tf.ones_like(angle)
        matrix = _aug_affine_matrix(angle, zeros, zeros, ones, zeros, zeros, height, width)
        return _aug_project(images, matrix, self.interpolation, self.fill_mode, self.fill_value)


class RandomZoom(_ImageAugmentation):
    """``keras.layers.RandomZoom``: each image is zoomed about its centre by ``1 + z``, ``z``
    drawn from the height factor's range (a positive factor zooms out); ``width_factor=None``
    keeps the aspect ratio (the width uses the height's draw)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _aug_range_factor(self, height_factor, "height_factor", True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _aug_range_factor(self, width_factor, "width_factor", True)
        _aug_check_resampling(self, fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The zoom factors ``(height_zoom, width_zoom)``, each of shape (batch, 1)."""
        shape = tf.stack([tf.shape(images)[0], 1])
        height_zoom = self._aug_uniform(shape, 1.0 + self.height_lower, 1.0 + self.height_upper)
        if self.width_factor is None:
            return height_zoom, height_zoom
        return height_zoom, self._aug_uniform(shape, 1.0 + self.width_lower, 1.0 + self.width_upper)

    def _apply(self, images, zooms):
        height_zoom, width_zoom = zooms
        height, width = _aug_hw(images)
        zeros = tf.zeros_like(width_zoom)
        x_offset = ((width - 1.0) / 2.0) * (1.0 - width_zoom)
        y_offset = ((height - 1.0) / 2.0) * (1.0 - height_zoom)
        matrix = tf.concat([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset, zeros, zeros], axis=1)
        return _aug_project(images, matrix, self.interpolation, self.fill_mode, self.fill_value)


class RandomTranslation(_ImageAugmentation):
    """``keras.layers.RandomTranslation``: each image shifts by ``dy * height`` and ``dx *
    width`` pixels, ``dy``/``dx`` drawn from the factors' ranges (``f`` means ``[-f, f]``;
    positive moves the content down/right)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _aug_range_factor(self, height_factor, "height_factor", False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _aug_range_factor(self, width_factor, "width_factor", False)
        _aug_check_resampling(self, fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The shifts in pixels ``(dy, dx)``, each of shape (batch, 1)."""
        shape = tf.stack([tf.shape(images)[0], 1])
        height, width = _aug_hw(images)
        dy = self._aug_uniform(shape, self.height_lower, self.height_upper) * height
        dx = self._aug_uniform(shape, self.width_lower, self.width_upper) * width
        return dy, dx

    def _apply(self, images, shifts):
        dy, dx = shifts
        zeros, ones = tf.zeros_like(dx), tf.ones_like(dx)
        matrix = tf.concat([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
        return _aug_project(images, matrix, self.interpolation, self.fill_mode, self.fill_value)


class RandomCrop(_ImageAugmentation):
    """``keras.layers.RandomCrop``: in training, one ``height x width`` window at a random
    position for the whole batch when the images are larger in both dimensions; otherwise
    a window from the corner of the centred window of the target's aspect ratio, resized
    (bilinear) to the target, as Keras computes it. Trap: in inference Keras 3 returns the
    input unchanged (neither cropped nor cast), so the output shape differs between modes;
    this class does the same. Height and width must be static (Keras raises otherwise)."""

    _cast_floats = False  # Keras's RandomCrop turns its input conversion off

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.height = height
        self.width = width
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(tf.cast(images, self.compute_dtype), self._augment)

    def _draw(self, images):
        """The window's top-left corner ``(top, left)``, one for the whole batch."""
        in_height, in_width = images.shape[1], images.shape[2]
        if in_height is None or in_width is None:
            raise ValueError(f"RandomCrop requires the input to have a fully defined height and width. "
                             f"Received: images.shape={images.shape}")
        if in_height > self.height and in_width > self.width:
            top = self._aug_uniform([], 0, in_height - self.height + 1, dtype=tf.int32)
            left = self._aug_uniform([], 0, in_width - self.width + 1, dtype=tf.int32)
            return top, left
        return None  # not larger in both dimensions: the deterministic window below

    def _apply(self, images, corner):
        in_height, in_width = images.shape[1], images.shape[2]
        if corner is not None:
            top, left = corner
            return images[:, top:top + self.height, left:left + self.width, :]
        # Keras centres the window of the target's aspect ratio, but then slices the TARGET's
        # size from that corner (clipped by the image) and resizes what it got to the target
        crop_height = max(min(in_height, int(float(in_width * self.height) / self.width)), 1)
        crop_width = max(min(in_width, int(float(in_height * self.width) / self.height)), 1)
        top = int(float(in_height - crop_height) / 2)
        left = int(float(in_width - crop_width) / 2)
        images = images[:, top:top + self.height, left:left + self.width, :]
        if tuple(images.shape[1:3]) != (self.height, self.width):
            images = tf.cast(tf.image.resize(images, (self.height, self.width), method="bilinear"),
                             self.compute_dtype)
        return images

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if self.data_format == "channels_last":
            shape[-3], shape[-2] = self.height, self.width
        else:
            shape[-2], shape[-1] = self.height, self.width
        return tuple(shape)


# --- colour layers ------------------------------------------------------------------------


class RandomContrast(_ImageAugmentation):
    """``keras.layers.RandomContrast``: ``(x - mean) * c + mean`` per image and channel (the
    mean over height and width), clipped to ``value_range``, with ``c`` drawn from
    ``[1 - lower, 1 + upper]``. Trap: Keras 3 reads ``factor=f`` as ``(lower, upper) = (0,
    f)``, so ``c`` lies in ``[1, 1 + f]`` (its docstring says ``[1 - f, 1 + f]``; pass
    ``(f, f)`` for that); this class follows Keras's code. Integer images are computed in
    float32 (Keras raises on them in training)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.value_range = value_range
        self._aug_setup(seed)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        if not images.dtype.is_floating:
            images = tf.cast(images, tf.float32)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The contrast factors, shape (batch, 1, 1, 1)."""
        shape = tf.stack([tf.shape(images)[0], 1, 1, 1])
        return self._aug_uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1], dtype=images.dtype)

    def _apply(self, images, factor):
        # Keras's ops.mean: half precision averaged in float32 and cast back (a float16 sum of 255s overflows)
        mean = _ops_mean(_ops_mean(images, 1, keepdims=True), 2, keepdims=True)
        out = (images - mean) * factor + mean
        return tf.clip_by_value(out, self.value_range[0], self.value_range[1])


class RandomBrightness(_ImageAugmentation):
    """``keras.layers.RandomBrightness``: adds ``delta * (max - min)`` of ``value_range`` to
    each image, ``delta`` drawn from the factor's range (``f`` means ``[-f, f]``), and clips
    to ``value_range``. Integer images stay integer (the delta is cast, as in Keras)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (-1, 1))
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The deltas in pixel values (a fraction of the value range), shape (batch, 1, 1, 1)."""
        shape = tf.stack([tf.shape(images)[0], 1, 1, 1])
        return self._aug_uniform(shape, self.factor[0], self.factor[1]) * (self.value_range[1] - self.value_range[0])

    def _apply(self, images, delta):
        delta = tf.cast(delta, images.dtype)
        return tf.clip_by_value(images + delta, self.value_range[0], self.value_range[1])


# --- more colour layers, shear, blur, erasing, equalization, perspective, RandAugment -------


def _aug_to_range(images, source, target, dtype):
    """Keras's ``_transform_value_range``: rescale values from one range to another
    (nothing to do, not even a cast, when the ranges are equal)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = tf.cast(images, dtype)
    source_low, source_high = tf.cast(source[0], dtype), tf.cast(source[1], dtype)
    target_low, target_high = tf.cast(target[0], dtype), tf.cast(target[1], dtype)
    images = (images - source_low) / (source_high - source_low)
    return images * (target_high - target_low) + target_low


def _aug_grayscale(images):
    """Keras's ``rgb_to_grayscale`` on an NHWC batch: ITU-R 601 luma (0.2989, 0.5870,
    0.1140) as one channel, in the input's dtype; a one-channel image is returned as is."""
    channels = images.shape[-1]
    if channels not in (1, 3):
        raise ValueError(f"Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received: shape={images.shape}")
    if channels == 1:
        return tf.identity(images)
    compute = images.dtype if images.dtype.is_floating else tf.float32
    weights = tf.constant([0.2989, 0.5870, 0.1140], compute)
    gray = tf.tensordot(tf.cast(images, compute), weights, axes=[[-1], [-1]])
    return tf.cast(tf.expand_dims(gray, -1), images.dtype)


def _aug_floats(images):
    return images if images.dtype.is_floating else tf.cast(images, tf.float32)


class RandomGrayscale(_ImageAugmentation):
    """``keras.layers.RandomGrayscale``: each image becomes grayscale (luma copied to every
    channel) with probability ``factor``; integer images stay integer."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """Which images turn gray: booleans of shape (batch, 1, 1, 1)."""
        return self._aug_uniform(tf.stack([tf.shape(images)[0], 1, 1, 1])) < self.factor

    def _apply(self, images, gray):
        return tf.where(gray, _aug_grayscale(images), images)


class RandomInvert(_ImageAugmentation):
    """``keras.layers.RandomInvert``: ``value_range[1] - x`` for some images. Trap: the
    probability of each image is itself drawn from the factor's range (``factor=f`` means
    ``[0, f]``), so the default ``factor=1.0`` inverts half of the images."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.value_range = value_range
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """Which images invert, shape (batch,)."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        probability = self._aug_uniform(batch, self.factor[0], self.factor[1])
        return self._aug_uniform(batch) < probability

    def _apply(self, images, invert):
        images = tf.cast(images, self.compute_dtype)
        return tf.where(invert[:, None, None, None], self.value_range[1] - images, images)


class Solarization(_ImageAugmentation):
    """``keras.layers.Solarization``: in [0, 255] units, ``y = clip(x + a, 0, 255)``, then
    ``255 - y`` where ``y >= t``; ``a`` and ``t`` drawn per image from
    ``[lower, upper * 255]`` of ``addition_factor`` / ``threshold_factor`` (Keras scales only
    the upper end). Outputs float32 in inference too (Keras casts)."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed)

    def _factor(self, factor, name):
        def check(value):
            if value > 1.0 or value < 0:
                raise ValueError(f"Solarization: `{name}` values must lie in [0, 1]. Received: {name}={factor}")

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(f"Solarization: `{name}` must be a number or a pair. Received: {factor}")
            check(factor[0])
            check(factor[1])
            lower, upper = sorted(factor)
            return lower, upper
        if isinstance(factor, (int, float)):
            check(factor)
            return 0, factor
        raise ValueError(f"Solarization: `{name}` must be a number or a pair. Received: {factor}")

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """``(additions, thresholds)`` in [0, 255] units, each of shape (batch, 1, 1, 1)."""
        shape = tf.stack([tf.shape(images)[0], 1, 1, 1])
        additions = self._aug_uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255,
                                      dtype=self.compute_dtype)
        thresholds = self._aug_uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255,
                                       dtype=self.compute_dtype)
        return additions, thresholds

    def _apply(self, images, params):
        additions, thresholds = params
        images = _aug_to_range(images, self.value_range, (0, 255), self.compute_dtype)
        out = tf.clip_by_value(images + additions, 0, 255)
        out = tf.where(out < thresholds, out, 255 - out)
        return _aug_to_range(out, (0, 255), self.value_range, self.compute_dtype)


class RandomPosterization(_ImageAugmentation):
    """``keras.layers.RandomPosterization``: keeps the ``b`` high bits of each 8-bit value
    (in [0, 255] units), ``b`` an integer drawn per image from ``[lower, upper)`` of the
    factor (``f`` means ``[1, f)``; ``(b, b)`` always ``b``)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (1, 8))
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The bits to drop (8 - b), uint8 of shape (batch,)."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        if self.factor[0] != self.factor[1]:
            bits = tf.cast(self._aug_uniform(batch, int(self.factor[0]), int(self.factor[1]), dtype=tf.int32), tf.uint8)
        else:
            bits = tf.ones(batch, tf.uint8) * int(self.factor[0])
        return 8 - bits

    def _apply(self, images, shift):
        shift = tf.reshape(shift, [-1, 1, 1, 1])
        images = _aug_to_range(images, self.value_range, (0, 255), self.compute_dtype)
        images = tf.cast(images, tf.uint8)
        images = tf.bitwise.left_shift(tf.bitwise.right_shift(images, shift), shift)
        images = tf.cast(images, self.compute_dtype)
        return _aug_to_range(images, (0, 255), self.value_range, self.compute_dtype)


class AutoContrast(_ImageAugmentation):
    """``keras.layers.AutoContrast``: stretches each image's channels to the whole
    ``value_range`` (min to low, max to high). Not random, and applied in inference too
    (as in Keras); constant channels come back unchanged; outputs float32. Trap: Keras
    takes the min/max over axes 1 and 2 whatever the data format (for channels-first
    images: over channels and height), and so does this class."""

    def __init__(self, value_range=(0, 255), **kwargs):
        data_format = kwargs.pop("data_format", None)  # accepted by Keras's base class; the axes are fixed
        super().__init__(**kwargs)
        self.value_range = _aug_value_range(self, value_range)
        self.data_format = _aug_data_format(self, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        single = images.shape.rank == 3
        out = self._apply(images[None] if single else images, None)
        return out[0] if single else out

    def _apply(self, images, params):
        original = images
        images = tf.cast(_aug_to_range(images, self.value_range, (0, 255), self.compute_dtype), self.compute_dtype)
        low = tf.reduce_min(images, axis=(1, 2), keepdims=True)
        high = tf.reduce_max(images, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        offset = -low * scale
        out = tf.clip_by_value(images * scale + offset, 0.0, 255.0)
        out = _aug_to_range(out, (0, 255), self.value_range, self.compute_dtype)
        # a constant channel divides by zero: Keras keeps the input there
        return tf.where(tf.math.is_nan(out), tf.cast(original, out.dtype), out)


class RandomColorDegeneration(_ImageAugmentation):
    """``keras.layers.RandomColorDegeneration``: ``x + f * (gray(x) - x)``, clipped to
    ``value_range``, ``f`` drawn per image from the factor's range (``f`` means ``[-f, f]``)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (-1, 1))
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        shape = tf.stack([tf.shape(images)[0], 1, 1, 1])
        return self._aug_uniform(shape, self.factor[0], self.factor[1])

    def _apply(self, images, factor):
        images = tf.cast(images, self.compute_dtype)
        factor = tf.cast(factor, self.compute_dtype)
        images = images + factor * (_aug_grayscale(images) - images)
        return tf.clip_by_value(images, self.value_range[0], self.value_range[1])


class RandomSaturation(_ImageAugmentation):
    """``keras.layers.RandomSaturation``: in HSV (``tf.image.rgb_to_hsv`` of the values as
    they are), the saturation times ``f / (1 - f + 1e-7)``, clipped to ``value_range``, ``f``
    drawn per image from the factor's range (``f`` means ``[-f, f]``: a negative ``f``
    removes the colour). Integer images are computed in float32 (Keras raises on them)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (-1, 1))
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(_aug_floats(images), self._augment)

    def _draw(self, images):
        """The saturation multipliers, shape (batch,)."""
        factor = self._aug_uniform(tf.reshape(tf.shape(images)[0], [1]), self.factor[0], self.factor[1])
        return factor / (1 - factor + 1e-7)

    def _apply(self, images, factor):
        factor = tf.reshape(tf.cast(factor, images.dtype), [-1, 1, 1])
        hsv = tf.image.rgb_to_hsv(images)
        saturation = tf.clip_by_value(hsv[..., 1] * factor, self.value_range[0], self.value_range[1])
        return tf.image.hsv_to_rgb(tf.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1))


class RandomHue(_ImageAugmentation):
    """``keras.layers.RandomHue``: shifts the hue (in [0, 1] HSV units, wrapping around) by
    ``±f / 2``, ``f`` drawn per image from the factor's range (``f`` means ``[0, f]``) and
    the sign by a coin, on images rescaled from ``value_range`` to [0, 1] and back."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.value_range = value_range
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The hue shifts, shape (batch,)."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        sign = tf.where(self._aug_uniform(batch) > 0.5, -1.0, 1.0)
        return sign * self._aug_uniform(batch, self.factor[0], self.factor[1]) * 0.5

    def _apply(self, images, shift):
        images = _aug_to_range(tf.cast(images, self.compute_dtype), self.value_range, (0, 1), self.compute_dtype)
        shift = tf.reshape(tf.cast(shift, images.dtype), [-1, 1, 1])
        hsv = tf.image.rgb_to_hsv(images)
        hue = hsv[..., 0] + shift
        hue = tf.where(hue > 1.0, hue - 1.0, hue)
        hue = tf.where(hue < 0.0, hue + 1.0, hue)
        images = tf.image.hsv_to_rgb(tf.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1))
        images = _aug_to_range(tf.clip_by_value(images, 0, 1), (0, 1), self.value_range, self.compute_dtype)
        return tf.cast(images, self.compute_dtype)


class RandomSharpness(_ImageAugmentation):
    """``keras.layers.RandomSharpness``: ``x + (1 - 2f) * (smooth(x) - x)`` with Keras's 3x3
    smoothing kernel (1/13 around, 5/13 in the centre, a depthwise 'same' convolution),
    clipped to ``value_range``, ``f`` drawn per image from ``[0, f]``. Outputs float32 in
    inference too (Keras casts)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.value_range = _aug_value_range(self, value_range)
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        return self._aug_uniform(tf.reshape(tf.shape(images)[0], [1]), self.factor[0], self.factor[1])

    def _apply(self, images, factor):
        factor = tf.reshape(tf.cast(factor * 2, self.compute_dtype), [-1, 1, 1, 1])
        side, centre = 1.0 / 13.0, 5.0 / 13.0
        kernel = tf.constant([[side, side, side], [side, centre, side], [side, side, side]], self.compute_dtype)
        kernel = tf.tile(tf.reshape(kernel, [3, 3, 1, 1]), [1, 1, tf.shape(images)[-1], 1])
        smooth = tf.nn.depthwise_conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")
        images = images + (1.0 - factor) * (smooth - images)
        return tf.clip_by_value(images, self.value_range[0], self.value_range[1])


class RandomShear(_ImageAugmentation):
    """``keras.layers.RandomShear``: shears each image by ``x + sx * y`` / ``y + sy * x``
    (about the top-left corner, as Keras's matrix ``[1, sx, 0, sy, 1, 0, 0, 0]``), ``sx``/
    ``sy`` drawn from the factors' ranges (``f`` means ``[-f, f]``) and one coin flipping
    the sign of both."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.x_factor = _aug_range_factor(self, x_factor, "x_factor", False, low=0.0)
        self.y_factor = _aug_range_factor(self, y_factor, "y_factor", False, low=0.0)
        _aug_check_resampling(self, fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """The shear factors ``[sx, sy]`` per image, shape (batch, 2)."""
        shape = tf.stack([tf.shape(images)[0], 1])
        sign = tf.where(self._aug_uniform(shape) > 0.5, -1.0, 1.0)
        shear_y = self._aug_uniform(shape, self.y_factor[0], self.y_factor[1])
        shear_x = self._aug_uniform(shape, self.x_factor[0], self.x_factor[1])
        return tf.concat([shear_x, shear_y], axis=1) * sign

    def _apply(self, images, shear):
        ones, zeros = tf.ones_like(shear[:, 0]), tf.zeros_like(shear[:, 0])
        matrix = tf.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)
        return _aug_project(images, matrix, self.interpolation, self.fill_mode, self.fill_value)


def _aug_gaussian_kernel(kernel_size, sigma, channels, dtype):
    """Keras's Gaussian kernel (``ops.image.gaussian_blur``): the outer product of two 1-D
    kernels, reshaped to ``kernel_size`` (as Keras reshapes it) and repeated per channel."""
    size = tf.cast(tf.constant(kernel_size), dtype)

    def one_d(length, s):
        x = tf.range(length, dtype=dtype) - (length - 1) / 2
        k = tf.exp(-0.5 * (x / s) ** 2)
        return k / tf.reduce_sum(k)

    kernel = tf.tensordot(one_d(size[1], sigma[1]), one_d(size[0], sigma[0]), axes=0)
    kernel = tf.reshape(kernel, (kernel_size[0], kernel_size[1], 1, 1))
    return tf.tile(kernel, [1, 1, channels, 1])


class RandomGaussianBlur(_ImageAugmentation):
    """``keras.layers.RandomGaussianBlur``: blurs some images (probability drawn per image
    from the factor's range, ``f`` meaning ``[0, f]``, then compared with a uniform draw)
    with a Gaussian of ``kernel_size`` and one ``(sigma_x, sigma_y)`` per call drawn from
    the sigma range (``s`` means ``[0, s]``, at most 1), clipped to ``value_range``. Outputs
    float32 in inference too (Keras casts)."""

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        if isinstance(kernel_size, (tuple, list)):
            if len(kernel_size) != 2 or kernel_size[0] % 2 == 0 or kernel_size[1] % 2 == 0:
                raise ValueError(f"kernel_size must be odd numbers. Received: kernel_size={kernel_size}")
            self.kernel_size = tuple(kernel_size)
        elif isinstance(kernel_size, (int, float)) and kernel_size % 2 == 1:
            self.kernel_size = (kernel_size, kernel_size)
        else:
            raise ValueError(f"kernel_size must be an odd number. Received: kernel_size={kernel_size}")
        self.sigma = _aug_factor(self, sigma, (0, 1), name="sigma")
        self.value_range = value_range
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """``(blur, sigma)``: which images blur, shape (batch,), and one sigma pair."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        probability = self._aug_uniform(batch, self.factor[0], self.factor[1])
        blur = self._aug_uniform(batch) < probability
        sigma = self._aug_uniform([2], self.sigma[0], self.sigma[1], dtype=self.compute_dtype) + 1e-6
        return blur, sigma

    def _apply(self, images, params):
        blur, sigma = params
        kernel = _aug_gaussian_kernel(self.kernel_size, sigma, tf.shape(images)[-1], images.dtype)
        blurred = tf.nn.depthwise_conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")
        images = tf.where(blur[:, None, None, None], blurred, images)
        return tf.clip_by_value(images, self.value_range[0], self.value_range[1])


class RandomErasing(_ImageAugmentation):
    """``keras.layers.RandomErasing``: fills one rectangle of some images (probability
    drawn per image from the factor's range, ``f`` meaning ``[0, f]``) with ``fill_value``
    (a number, one per channel, or by default Gaussian noise times ``value_range[1]``),
    clipped to ``value_range``; the rectangle's sides are ``sqrt(s)`` of the image's, ``s``
    from ``scale``, at a uniform position. Outputs float32 in inference too (Keras casts)."""

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.scale = _aug_factor(self, scale, (0, 1), name="scale")
        if fill_value is not None and not isinstance(fill_value, (int, float)) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError("The `fill_value` argument should be a number (or a list of three numbers)")
        self.fill_value = fill_value
        self.value_range = value_range
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _bounds(self, batch, length, ratio):
        length = tf.cast(length, self.compute_dtype)
        crop = tf.cast(ratio * length, self.compute_dtype)
        start = self._aug_uniform(batch, dtype=self.compute_dtype) * (length - crop)
        return start, start + crop

    def _draw(self, images):
        """``(erase, mask, fill)``: which images, the rectangles (NHWC booleans), the fill."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        shape = tf.shape(images)
        sides = tf.sqrt(self._aug_uniform(tf.stack([shape[0], 2]), self.scale[0], self.scale[1],
                                          dtype=self.compute_dtype))
        x0, x1 = self._bounds(batch, shape[2], sides[:, 0])
        y0, y1 = self._bounds(batch, shape[1], sides[:, 1])
        grid_y, grid_x = tf.meshgrid(tf.range(shape[1]), tf.range(shape[2]), indexing="ij")
        grid_y = tf.cast(grid_y, self.compute_dtype)[None, :, :, None]
        grid_x = tf.cast(grid_x, self.compute_dtype)[None, :, :, None]
        corner = lambda v: v[:, None, None, None]  # noqa: E731
        mask = ((grid_x >= corner(x0)) & (grid_x < corner(x1)) & (grid_y >= corner(y0)) & (grid_y < corner(y1)))
        mask = tf.repeat(mask, shape[3], axis=3)
        probability = self._aug_uniform(batch, self.factor[0], self.factor[1])
        erase = self._aug_uniform(batch) < probability
        if self.fill_value is None:
            seed = self._generator.make_seeds(1)[:, 0]
            fill = tf.random.stateless_normal(shape, seed=seed, dtype=self.compute_dtype) * self.value_range[1]
        else:
            fill = tf.ones_like(images) * tf.constant(self.fill_value, self.compute_dtype)
        return erase, mask, tf.clip_by_value(fill, self.value_range[0], self.value_range[1])

    def _apply(self, images, params):
        erase, mask, fill = params
        erased = tf.where(mask, fill, images)
        return tf.where(erase[:, None, None, None], erased, images)


class RandomColorJitter(_ImageAugmentation):
    """``keras.layers.RandomColorJitter``: in training, float32 images go through
    RandomBrightness, RandomContrast, RandomSaturation and RandomHue, in that order, each
    only when its factor is given (with this layer's ``value_range`` and ``seed``)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._aug_setup(seed, data_format)
        if self.data_format == "channels_first":
            # Keras's sub-layers keep their default (channels-last) format and read the
            # channels-first images as channels-last ones; that is not reproduced
            raise NotImplementedError("RandomColorJitter(data_format='channels_first') is not translated")
        self.random_brightness = RandomBrightness(brightness_factor, value_range=value_range, seed=seed) \
            if brightness_factor is not None else None
        self.random_contrast = RandomContrast(contrast_factor, value_range=value_range, seed=seed) \
            if contrast_factor is not None else None
        self.random_saturation = RandomSaturation(saturation_factor, value_range=value_range, seed=seed) \
            if saturation_factor is not None else None
        self.random_hue = RandomHue(hue_factor, value_range=value_range, seed=seed) if hue_factor is not None else None

    def _steps(self):
        return [s for s in (self.random_brightness, self.random_contrast, self.random_saturation, self.random_hue)
                if s is not None]

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(tf.cast(images, self.compute_dtype), self._augment)

    def _augment(self, images):
        for step in self._steps():
            images = step._apply(images, step._draw(images))
        return tf.cast(images, self.compute_dtype)


class Equalization(_ImageAugmentation):
    """``keras.layers.Equalization``: histogram equalization of each channel (``bins``
    bins over [0, 255] units, the lookup table rounded half to even), in training only (the
    identity in inference, as in Keras 3). Trap: Keras counts ONE histogram per channel over
    the whole batch, not one per image; so does this class. Channels with at most one
    non-empty bin are unchanged. Outputs float32 in training."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bins = bins
        self.value_range = _aug_value_range(self, value_range)
        self.data_format = _aug_data_format(self, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(tf.cast(images, self.compute_dtype), self._equalize)

    @staticmethod
    def _rescale(values, source, target):
        scale = (target[1] - target[0]) / (source[1] - source[0])
        return values * scale + (target[0] - source[0] * scale)

    def _equalize_channel(self, channel):
        # Keras compares its sorted value range (a list) with a tuple, so it always rescales
        channel = self._rescale(channel, self.value_range, (0, 255))
        indices = tf.cast((tf.cast(channel, tf.float32) - 0.0) * (self.bins - 1) / (255.0 - 0.0), tf.int32)
        indices = tf.clip_by_value(indices, 0, self.bins - 1)
        histogram = tf.math.bincount(tf.reshape(indices, [-1]), minlength=self.bins, dtype=tf.int32)
        cdf = tf.cumsum(histogram)
        cdf_min = tf.gather(cdf, tf.where(cdf != 0)[0][0])
        denominator = cdf[-1] - cdf_min
        denominator = tf.where(denominator == 0, tf.ones_like(denominator), denominator)
        table = tf.clip_by_value(tf.round(((cdf - cdf_min) * 255) / denominator), 0, 255)  # int / int: float64
        positions = tf.cast(tf.clip_by_value((channel / 255.0) * (self.bins - 1), 0, self.bins - 1), tf.int32)
        equalized = tf.gather(table, positions)
        flat = tf.math.count_nonzero(histogram, dtype=tf.int32) <= 1
        equalized = tf.where(flat, tf.cast(channel, equalized.dtype), equalized)
        return self._rescale(equalized, (0, 255), self.value_range)

    def _equalize(self, images):
        channels = [self._equalize_channel(images[..., i]) for i in range(images.shape[-1])]
        return tf.cast(tf.stack(channels, axis=-1), self.compute_dtype)


class RandomPerspective(_ImageAugmentation):
    """``keras.layers.RandomPerspective``: moves each corner of some images (probability
    drawn per image from the factor's range, ``f`` meaning ``[0, f]``) by up to ``±scale/2``
    of its coordinates and resamples through the homography (constant ``fill_value``
    outside); the identity in inference, cast to float32."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        _aug_check_resampling(self, "constant", interpolation)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """``(apply, start, end)``: which images, and the corners before/after, (batch, 4, 2)."""
        batch = tf.shape(images)[0]
        height, width = images.shape[1], images.shape[2]
        probability = self._aug_uniform(tf.reshape(batch, [1]), self.factor[0], self.factor[1])
        apply = self._aug_uniform(tf.reshape(batch, [1])) < probability
        shift = self._aug_uniform(tf.stack([batch, 4, 2]), -0.5 * self.scale, 0.5 * self.scale, dtype=self.compute_dtype)
        corners = tf.constant([[[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]],
                              self.compute_dtype)
        start = tf.repeat(corners, batch, axis=0)
        return apply, start, start + start * shift

    def _apply(self, images, params):
        apply, start, end = params
        out = _aug_project(images, _ops_homography(start, end), self.interpolation, "constant", self.fill_value)
        return tf.where(apply[:, None, None, None], out, images)


class RandAugment(_ImageAugmentation):
    """``keras.layers.RandAugment``: ``num_ops`` times, one of eleven augmentations chosen
    at random per call (the same for the whole batch): shear, translation, rotation,
    brightness, colour degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast, equalization, with Keras's strengths from ``factor`` (``f`` means ``[0,
    f]``). As in Keras, each layer's parameters are drawn once per call, so an augmentation
    chosen twice is applied twice with the same parameters. Outputs float32 (also in
    inference, where it is the identity). ``data_format="channels_first"`` is not translated
    (Keras's AutoContrast then reduces over the wrong axes)."""

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = _aug_factor(self, factor, (0, 1))
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)
        if self.data_format == "channels_first":
            raise NotImplementedError("RandAugment(data_format='channels_first') is not translated")
        f = self.factor
        self.random_shear = RandomShear(x_factor=f, y_factor=f, interpolation=interpolation, seed=seed)
        self.random_translation = RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation,
                                                    seed=seed)
        self.random_rotation = RandomRotation(factor=f, interpolation=interpolation, seed=seed)
        self.random_brightness = RandomBrightness(factor=f, value_range=value_range, seed=seed)
        self.random_color_degeneration = RandomColorDegeneration(factor=f, value_range=value_range, seed=seed)
        self.random_contrast = RandomContrast(factor=f, value_range=value_range, seed=seed)
        self.random_sharpness = RandomSharpness(factor=f, value_range=value_range, seed=seed)
        self.random_posterization = RandomPosterization(factor=max(1, int(8 * f[1])), value_range=value_range,
                                                        seed=seed)
        self.solarization = Solarization(addition_factor=f, threshold_factor=f, value_range=value_range, seed=seed)
        self.auto_contrast = AutoContrast(value_range=value_range)
        self.equalization = Equalization(value_range=value_range)
        self._ops = [self.random_shear, self.random_translation, self.random_rotation, self.random_brightness,
                     self.random_color_degeneration, self.random_contrast, self.random_sharpness,
                     self.random_posterization, self.solarization, self.auto_contrast, self.equalization]

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """``(choices, params)``: the op index of each of the ``num_ops`` steps, and every
        op's parameters for this call (None for the two that draw nothing)."""
        choices = self._aug_uniform([self.num_ops], 0, len(self._ops), dtype=tf.int32)
        params = [op._draw(images) if hasattr(op, "_draw") else None for op in self._ops]
        return choices, params

    def _apply(self, images, draws):
        choices, params = draws

        def branch(op, p):
            if isinstance(op, Equalization):
                return lambda: op._equalize(images_now)
            return lambda: tf.cast(op._apply(images_now, p), self.compute_dtype)

        for i in range(self.num_ops):
            images_now = images
            images = tf.switch_case(tf.cast(choices[i], tf.int32),
                                    [branch(op, p) for op, p in zip(self._ops, params)])
            images = tf.ensure_shape(images, images_now.shape)
        return images


# --- mixing layers: images and labels of the batch blended with a shuffled copy -------------


class _BatchMixing(_ImageAugmentation):
    """MixUp and CutMix: each image (and its label) is mixed with another image of the batch
    (a random permutation). The input is an image tensor or Keras's dict ``{"images": ...,
    "labels": ...}`` (other keys are not translated); a dict comes back a dict with the same
    keys. Labels are mixed as ``w * labels + (1 - w) * labels[permutation]`` with the
    per-image weight ``w`` of the images."""

    _takes_dicts = True

    def _mix_split(self, inputs):
        if isinstance(inputs, dict):
            other = sorted(set(inputs) - {"images", "labels"})
            if other or "images" not in inputs:
                raise NotImplementedError(f"{type(self).__name__} on a dict with keys {sorted(inputs)} is not "
                                          "translated; pass {'images': ..., 'labels': ...} or the images tensor")
            labels = inputs.get("labels")
            return self._aug_images(inputs["images"]), None if labels is None else tf.convert_to_tensor(labels)
        return self._aug_images(inputs), None

    def _mix_join(self, inputs, images, labels):
        if not isinstance(inputs, dict):
            return images
        out = {"images": images}
        if "labels" in inputs:
            out["labels"] = labels
        return out

    def _mix_labels(self, labels, permutation, weight):
        """``w * labels + (1 - w) * labels[permutation]``, ``w`` of shape (batch,)."""
        weight = tf.reshape(weight, [-1, 1])
        return weight * labels + (1.0 - weight) * tf.gather(labels, permutation, axis=0)

    def _mix_permutation(self, batch, dtype):
        """A random permutation of ``range(batch)`` (the argsort of uniform draws)."""
        return tf.cast(tf.argsort(self._aug_uniform(tf.reshape(batch, [1]))), dtype)

    def _mix_beta(self, batch, alpha):
        """``batch`` draws of Beta(alpha, alpha): ``g1 / (g1 + g2)`` of two Gamma(alpha) draws."""
        shape = tf.reshape(batch, [1])
        alpha = tf.broadcast_to(tf.cast(alpha, tf.float32), shape)
        first = tf.random.stateless_gamma(shape, seed=self._generator.make_seeds(1)[:, 0], alpha=alpha)
        second = tf.random.stateless_gamma(shape, seed=self._generator.make_seeds(1)[:, 0], alpha=alpha)
        return first / (first + second)


class MixUp(_BatchMixing):
    """``keras.layers.MixUp``: each image becomes ``w * image + (1 - w) * other`` with ``other``
    the image a random permutation of the batch puts in its place and ``w`` drawn per image
    from Beta(alpha, alpha); labels are mixed with the same weights. In inference the images
    and labels pass unchanged (float images in the compute dtype, integer images as they
    are); in training the images come out in the compute dtype (float32). A single image
    (rank 3) is a batch of one, mixed with itself."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images, labels = self._mix_split(inputs)
        if not training:
            return self._mix_join(inputs, _aug_unchanged(images), labels)
        single = images.shape.rank == 3
        batch = images[None] if single else tf.cast(images, self.compute_dtype)
        params = self._draw(batch)
        mixed = self._apply(batch, params)
        if labels is not None:
            labels = self._mix_labels(labels[None] if single else labels, *params)
            labels = labels[0] if single else labels
        return self._mix_join(inputs, mixed[0] if single else mixed, labels)

    def _draw(self, images):
        """``(permutation, weights)``: int64 (batch,) and float32 (batch,)."""
        batch = tf.shape(images)[0]
        return self._mix_permutation(batch, tf.int64), self._mix_beta(batch, self.alpha)

    def _apply(self, images, params):
        permutation, weight = params
        images = tf.cast(images, self.compute_dtype)
        weight = tf.cast(tf.reshape(weight, [-1, 1, 1, 1]), self.compute_dtype)
        return weight * images + (1.0 - weight) * tf.gather(images, permutation, axis=0)


class CutMix(_BatchMixing):
    """``keras.layers.CutMix``: per image, a box of a random other image of the batch (a
    random permutation) is pasted in; the box covers a share ``1 - w`` of the image (its
    sides are ``sqrt(1 - w)`` of the image's, at a uniform position), ``w`` drawn per image
    from Beta(a, a) with ``a`` drawn once per call uniformly from ``factor`` (plus 1e-6);
    labels are mixed by the box's actual area. Images come out in the compute dtype (float32),
    also in inference; a single image (rank 3) passes unchanged, as in Keras."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images, labels = self._mix_split(inputs)
        images = tf.cast(images, self.compute_dtype)
        if not training or images.shape.rank == 3:
            return self._mix_join(inputs, _aug_unchanged(images), labels)
        x = tf.transpose(images, [0, 2, 3, 1]) if self.data_format == "channels_first" else images
        params = self._draw(x)
        mixed = self._apply(x, params)
        if self.data_format == "channels_first":
            mixed = tf.transpose(mixed, [0, 3, 1, 2])
        if labels is not None:
            labels = self._mix_labels(labels, params[0], params[2])
        return self._mix_join(inputs, mixed, labels)

    def _draw(self, images):
        """``(permutation, box, weights)`` for an NHWC batch: int32 (batch,), the box
        ``(x0, x1, y0, y1)`` in pixels (float32, each (batch,)), and ``w = 1 - box area /
        image area`` (batch,)."""
        batch = tf.shape(images)[0]
        height, width = _aug_hw(images)
        alpha = self._aug_uniform([], self.factor[0], self.factor[1]) + 1e-6
        ratio = tf.sqrt(1.0 - self._mix_beta(batch, alpha))
        box = []
        for length in (width, height):
            crop = ratio * length
            start = self._aug_uniform(tf.reshape(batch, [1])) * (length - crop)
            box += [start, start + crop]
        x0, x1, y0, y1 = box
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        return self._mix_permutation(batch, tf.int32), (x0, x1, y0, y1), weight

    def _apply(self, images, params):
        """Pixels with ``x0 <= column < x1`` and ``y0 <= row < y1`` come from the permuted image."""
        permutation, (x0, x1, y0, y1), _ = params
        images = tf.cast(images, self.compute_dtype)
        shape = tf.shape(images)
        rows = tf.cast(tf.range(shape[1]), tf.float32)[None, :, None, None]
        cols = tf.cast(tf.range(shape[2]), tf.float32)[None, None, :, None]

        def per_image(v):
            return tf.reshape(tf.cast(v, tf.float32), [-1, 1, 1, 1])

        inside = ((cols >= per_image(x0)) & (cols < per_image(x1)) & (rows >= per_image(y0))
                  & (rows < per_image(y1)))
        return tf.where(inside, tf.gather(images, permutation, axis=0), images)


class RandomElasticTransform(_ImageAugmentation):
    """``keras.layers.RandomElasticTransform``: each image is deformed, with a probability drawn
    per image from ``factor``, by a Gaussian-smoothed random displacement field (Keras's
    ``elastic_transform``, :func:`_ops_elastic`) of strength drawn once per call from ``scale``
    (``alpha = 0.1 * scale * max(height, width)``, ``sigma = 0.05 * scale * min(height,
    width)``), then clipped to ``value_range``. Images come out in the compute dtype (float32),
    also in inference, where it is the identity. The batch size must be static, as in Keras."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = _aug_factor(self, factor, (0, 1))
        self.scale = _aug_factor(self, scale, (0, 1), name="scale")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear').")
        if fill_mode not in ("constant", "nearest", "wrap", "mirror", "reflect"):
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}.")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self._aug_setup(seed, data_format)

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return _aug_unchanged(images)
        single = images.shape.rank == 3
        batch = images[None] if single else images
        out = self._apply(batch, self._draw(batch))
        return out[0] if single else out

    def _draw(self, images):
        """``(apply, distortion, seed)``: bool (batch,), the strength (a scalar) and the
        stateless seed pair of the displacement field."""
        batch = tf.reshape(tf.shape(images)[0], [1])
        probability = self._aug_uniform(batch, self.factor[0], self.factor[1])
        apply = self._aug_uniform(batch) < probability
        distortion = self._aug_uniform([], self.scale[0], self.scale[1])
        return apply, distortion, self._generator.make_seeds(1)[:, 0]

    def _apply(self, images, params):
        """``images`` a batch in the layer's data format."""
        apply, distortion, seed = params
        if self.data_format == "channels_first":
            height, width = images.shape[2], images.shape[3]
        else:
            height, width = images.shape[1], images.shape[2]
        distortion = tf.cast(distortion, images.dtype)
        alpha = max(height, width) * (0.1 * distortion)
        sigma = min(height, width) * (0.05 * distortion)
        deformed = _ops_elastic(images, alpha, sigma, self.interpolation, self.fill_mode, self.fill_value, seed,
                                self.data_format)
        images = tf.where(tf.reshape(apply, [-1, 1, 1, 1]), deformed, images)
        images = tf.clip_by_value(images, tf.cast(self.value_range[0], images.dtype),
                                  tf.cast(self.value_range[1], images.dtype))
        return tf.cast(images, self.compute_dtype)


class AugMix(_ImageAugmentation):
    """``keras.layers.AugMix``: ``num_chains`` chains of up to ``chain_depth`` augmentations
    (at each step one of the operations, or none, chosen at random), mixed with Dirichlet(alpha)
    weights, then blended with the original by a Beta(alpha, alpha) weight and clipped to
    ``value_range``. The operations are Keras's: shear, translation, rotation, posterization,
    solarization, auto-contrast, equalization and, with ``all_ops``, brightness, colour
    degeneration, contrast and sharpness, with strengths from ``factor`` (``f`` means ``[0,
    f]``). Keras picks the operations with Python's ``random`` (once per trace under
    ``tf.function``); here they are drawn per call, also under ``tf.function``. Outputs float32
    (also in inference, where it is the identity). ``data_format="channels_first"`` is not
    translated. Tracing it under ``tf.function`` builds one switch over the operations per
    chain step (about a minute on a CPU for the default 3 x 3 steps)."""

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = _aug_factor(self, factor, (0, 1))
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self._aug_setup(seed, data_format)
        if self.data_format == "channels_first":
            raise NotImplementedError("AugMix(data_format='channels_first') is not translated")
        f = self.factor
        self.random_shear = RandomShear(x_factor=f, y_factor=f, interpolation=interpolation, seed=seed)
        self.random_translation = RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation,
                                                    seed=seed)
        self.random_rotation = RandomRotation(factor=f, interpolation=interpolation, seed=seed)
        self.solarization = Solarization(addition_factor=f, threshold_factor=f, value_range=value_range, seed=seed)
        self.random_posterization = RandomPosterization(factor=max(1, int(8 * f[1])), value_range=value_range,
                                                        seed=seed)
        self.auto_contrast = AutoContrast(value_range=value_range)
        self.equalization = Equalization(value_range=value_range)
        self._ops = [self.random_shear, self.random_translation, self.random_rotation, self.random_posterization,
                     self.solarization, self.auto_contrast, self.equalization]
        if all_ops:
            self.random_brightness = RandomBrightness(factor=f, value_range=value_range, seed=seed)
            self.random_color_degeneration = RandomColorDegeneration(factor=f, value_range=value_range, seed=seed)
            self.random_contrast = RandomContrast(factor=f, value_range=value_range, seed=seed)
            self.random_sharpness = RandomSharpness(factor=f, value_range=value_range, seed=seed)
            self._ops += [self.random_brightness, self.random_color_degeneration, self.random_contrast,
                          self.random_sharpness]

    def call(self, inputs, training=True):
        images = tf.cast(self._aug_images(inputs), self.compute_dtype)
        if not training:
            return _aug_unchanged(images)
        return self._aug_batched(images, self._augment)

    def _draw(self, images):
        """``(chain_weights, weight, chains)``: Dirichlet weights (num_chains,), the Beta blend
        weight, and per chain and step ``(choice, params)``: the operation's index (the number
        of operations means none) and every operation's parameters (None where it draws none)."""
        gamma = tf.random.stateless_gamma([self.num_chains], seed=self._generator.make_seeds(1)[:, 0],
                                          alpha=tf.cast(self.alpha, tf.float32))
        first = tf.random.stateless_gamma([], seed=self._generator.make_seeds(1)[:, 0], alpha=float(self.alpha))
        second = tf.random.stateless_gamma([], seed=self._generator.make_seeds(1)[:, 0], alpha=float(self.alpha))
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                choice = self._aug_uniform([], 0, len(self._ops) + 1, dtype=tf.int32)
                steps.append((choice, [op._draw(images) if hasattr(op, "_draw") else None for op in self._ops]))
            chains.append(steps)
        return gamma / tf.reduce_sum(gamma), first / (first + second), chains

    def _step(self, images, op, params):
        if isinstance(op, Equalization):
            return op._equalize(images)
        return tf.cast(op._apply(images, params), self.compute_dtype)

    def _apply(self, images, draws):
        """``chains`` steps hold a tensor choice (drawn here) or a Python int (a given choice:
        only that operation's parameters are needed)."""
        chain_weights, weight, chains = draws
        images = tf.cast(images, self.compute_dtype)
        chain_weights = tf.cast(chain_weights, self.compute_dtype)
        weight = tf.cast(weight, self.compute_dtype)
        mixed = tf.zeros_like(images)
        for c, steps in enumerate(chains):
            x = images
            for choice, params in steps:
                if isinstance(choice, int):
                    if choice < len(self._ops):
                        x = self._step(x, self._ops[choice], params[choice])
                    continue
                before = x
                branches = [(lambda op=op, p=p, x=before: self._step(x, op, p)) for op, p in zip(self._ops, params)]
                x = tf.switch_case(tf.cast(choice, tf.int32), branches + [lambda x=before: tf.identity(x)])
                x = tf.ensure_shape(x, before.shape)
            mixed += x * chain_weights[c]
        images = weight * images + (1 - weight) * mixed
        return tf.clip_by_value(images, tf.cast(self.value_range[0], images.dtype),
                                tf.cast(self.value_range[1], images.dtype))


class ContrastLimitedAdaptiveHistogramEqualization(_ImageAugmentation):
    """``keras.layers.ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE), as Keras computes
    it: the image (rescaled from ``value_range`` to [0, 255], padded symmetrically at the
    bottom and right to whole tiles) is cut into ``tile_grid_size`` tiles; each tile's
    256-bin histogram per channel is clipped at ``clip_limit`` times the mean bin count (the
    excess spread evenly over the bins) and turned into a normalised cumulative map; each
    pixel's value is mapped by the four nearest tiles' maps, bilinearly weighted by its
    position. Not random: applied in inference too; the output keeps the input's dtype."""

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.data_format = _aug_data_format(self, data_format)

    def call(self, inputs, training=True):
        images = self._aug_images(inputs)
        original = images.dtype
        if self.data_format == "channels_first":
            images = tf.transpose(images, (0, 2, 3, 1) if images.shape.rank == 4 else (1, 2, 0))
        single = images.shape.rank == 3
        x = _aug_to_range(images, self.value_range, (0, 255), tf.float32)
        x = self._equalize_tiles(x[None] if single else x)
        x = _aug_to_range(x[0] if single else x, (0, 255), self.value_range, tf.float32)
        x = tf.cast(x, original)
        if self.data_format == "channels_first":
            x = tf.transpose(x, (0, 3, 1, 2) if x.shape.rank == 4 else (2, 0, 1))
        return x

    def _equalize_tiles(self, images):
        """CLAHE of an NHWC batch with values in [0, 255] (static height, width, channels)."""
        shape = tf.shape(images)
        batch = images.shape[0] if images.shape[0] is not None else shape[0]
        height, width, channels = images.shape[1], images.shape[2], images.shape[3]
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = images
        if pad_h or pad_w:
            padded = tf.pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
        tiles = tf.reshape(padded, tf.stack([batch, grid_h, tile_h, grid_w, tile_w, channels]))
        tiles = tf.reshape(tf.transpose(tiles, (0, 1, 3, 5, 2, 4)),
                           tf.stack([batch, grid_h, grid_w, channels, tile_h * tile_w]))
        levels = tf.clip_by_value(tf.cast(tiles, tf.int32), 0, 255)
        hists = tf.reduce_sum(tf.one_hot(levels, 256, dtype=tf.float32), axis=-2)  # (B, gh, gw, C, 256)
        if self.clip_limit > 0:
            limit = tf.cast(self.clip_limit * (tile_h * tile_w) / 256.0, hists.dtype)
            clipped = tf.clip_by_value(hists, 0.0, limit)
            hists = clipped + tf.reduce_sum(hists - clipped, axis=-1, keepdims=True) / 256.0
        cdf = tf.cumsum(hists, axis=-1)
        cdf_min = tf.reduce_min(cdf, axis=-1, keepdims=True)
        denominator = tf.cast(tile_h * tile_w, cdf.dtype) - cdf_min
        denominator = tf.where(denominator == 0, tf.ones_like(denominator), denominator)
        maps = tf.clip_by_value((cdf - cdf_min) * 255.0 / denominator, 0.0, 255.0)
        # one more tile of each edge's maps on every side: (B, gh + 2, gw + 2, C, 256)
        maps = tf.concat([maps[:, :1], maps, maps[:, -1:]], axis=1)
        maps = tf.concat([maps[:, :, :1], maps, maps[:, :, -1:]], axis=2)

        def corners(tile, grid):
            position = (tf.range(tile * grid, dtype=tf.float32) - tile / 2.0) / tile + 1.0
            low = tf.floor(position)
            weight = position - low
            low_i = tf.cast(tf.clip_by_value(low, 0.0, grid + 1.0), tf.int32)
            high_i = tf.cast(tf.clip_by_value(low + 1.0, 0.0, grid + 1.0), tf.int32)
            return low_i, high_i, weight

        y0, y1, wy = corners(tile_h, grid_h)
        x0, x1, wx = corners(tile_w, grid_w)
        flat = tf.reshape(maps, [-1])
        stride_x = 256 * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        pixels = tf.cast(tf.clip_by_value(padded, tf.cast(0, padded.dtype), tf.cast(255, padded.dtype)), tf.int32)
        base = (tf.range(batch, dtype=tf.int32)[:, None, None, None] * stride_b
                + tf.range(channels, dtype=tf.int32)[None, None, None, :] * 256 + pixels)

        def value(ys, xs):
            return tf.gather(flat, base + ys[None, :, None, None] * stride_y + xs[None, None, :, None] * stride_x)

        wy, wx = wy[None, :, None, None], wx[None, None, :, None]
        top = value(y0, x0) * (1.0 - wx) + value(y0, x1) * wx
        bottom = value(y1, x0) * (1.0 - wx) + value(y1, x1) * wx
        out = top * (1.0 - wy) + bottom * wy
        return out[:, :height, :width, :]
