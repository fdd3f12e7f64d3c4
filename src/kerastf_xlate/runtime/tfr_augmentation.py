"""Random image augmentation layers (``keras.layers.RandomFlip``, ``RandomRotation``, ...).

What Keras 3 does, and these classes do the same:

- **Inference** (``training=False``, e.g. ``model.predict``) is the identity, with Keras's
  dtype handling: float inputs come out in the layer's compute dtype (float32); the
  geometric layers (flip, rotation, zoom, translation) also cast integer images to float32;
  ``RandomContrast`` / ``RandomBrightness`` leave integer images as they are; ``RandomCrop``
  returns its input untouched (no crop, no cast).
- **Training**: calling the layer without ``training`` trains (``call`` defaults to
  ``training=True``), so ``layer(x)`` and ``model(x)`` augment and ``model(x,
  training=False)`` does not, as in Keras. Random parameters are drawn per image of a
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
``labels`` / ``bounding_boxes`` / ``segmentation_masks``) are not translated.
"""

import math

import tensorflow as tf

from tfr_base import Layer

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


def _aug_range_factor(layer, factor, name, lowest_exclusive):
    """``(lower, upper)`` of RandomZoom/RandomTranslation's height/width factors: a number
    ``f`` means ``(-f, f)``; each value lies in [-1, 1] ((-1, 1] for zoom)."""
    def check(value):
        if value > 1.0 or value < -1.0 or (lowest_exclusive and value == -1.0):
            raise ValueError(f"{type(layer).__name__}: `{name}` values must lie in "
                             f"{'(' if lowest_exclusive else '['}-1.0, 1.0]. Received: {name}={factor}")

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

    def _aug_setup(self, seed, data_format=None):
        self.seed = seed
        self.data_format = _aug_data_format(self, data_format)
        self._generator = _aug_generator(seed)

    @property
    def compute_dtype(self):
        dtype = self.dtype if isinstance(self.dtype, str) else tf.as_dtype(self.dtype).name
        return tf.as_dtype(dtype[len("mixed_"):] if dtype.startswith("mixed_") else dtype)

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
        mean = tf.reduce_mean(tf.reduce_mean(images, axis=1, keepdims=True), axis=2, keepdims=True)
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
