"""Preprocessing layers: Rescaling, Resizing, CenterCrop, CategoryEncoding (Normalization is
in tfr_normalization.py).

Images are channels-last (Keras's default ``image_data_format``), batched ``(batch, height,
width, channels)`` or one image ``(height, width, channels)``.
"""

import tensorflow as tf
from tfr_base import Layer, _stack, _to_dtype, image_data_format


def _data_layer_inputs(layer, inputs):
    """Keras's ``DataLayer.__call__`` (the image preprocessing layers' base): inside a
    TensorFlow graph (a ``tf.data`` map, a ``tf.function`` such as ``fit``'s or ``predict``'s
    step), but not on a model's symbolic inputs while it is built, EVERY input tensor is
    converted to the layer's compute dtype before ``call``: uint8 images come out float32 there
    where an eager call keeps them (Resizing, RandomBrightness) or returns them (RandomCrop in
    inference); labels in a dict too."""
    if tf.executing_eagerly():
        return inputs
    if any(frame.graph is not None and frame.mode == "record" for frame in _stack()):
        return inputs  # a model's construction: Keras's KerasTensors are left alone
    dtype = layer.compute_dtype
    return tf.nest.map_structure(lambda x: _to_dtype(x, dtype) if tf.is_tensor(x) else x, inputs)


def _channels_last(layer, data_format):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{type(layer).__name__}(data_format={data_format!r}) is not translated")


class Rescaling(Layer):
    """``keras.layers.Rescaling``: ``x * scale + offset`` in the layer's compute dtype;
    ``scale`` and ``offset`` may be lists (one value per channel; channels first, a scale of
    rank below 3 is reshaped to broadcast over the image axes, as Keras does)."""

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = tf.cast(self.scale, dtype)
        offset = tf.cast(self.offset, dtype)
        rank = len(scale.shape)
        if rank > 0 and image_data_format() == "channels_first":
            scale = tf.reshape(scale, tuple(scale.shape) + (1,) * (3 - rank))
        return tf.cast(inputs, dtype) * scale + offset


def _images_of(layer, data, transform):
    """Apply ``transform(images, key)`` to an image batch, one image, or Keras's dict of
    ``images`` / ``labels`` / ``segmentation_masks`` (labels are unchanged)."""
    if isinstance(data, dict):
        if "bounding_boxes" in data:
            raise NotImplementedError(f"{type(layer).__name__} on bounding boxes is not translated")
        out = dict(data)
        for key in ("images", "segmentation_masks"):
            if key in out:
                out[key] = _one_or_batch(tf.convert_to_tensor(out[key]), lambda x, k=key: transform(x, k))
        return out
    return _one_or_batch(tf.convert_to_tensor(data), lambda x: transform(x, "images"))


def _one_or_batch(images, transform):
    if images.shape.rank == 3:  # one image: as a batch of one
        return tf.squeeze(transform(tf.expand_dims(images, 0)), 0)
    if images.shape.rank != 4:
        raise ValueError(f"expected images of rank 3 or 4, got shape {images.shape}")
    return transform(images)


def _crop_box(height, width, target_height, target_width):
    """The centred window of the target's aspect ratio (Keras's ``smart_resize`` and
    ``crop_to_aspect_ratio``): (top, left, crop height, crop width), ints or tensors."""
    if isinstance(height, int) and isinstance(width, int):
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width
    crop_height = tf.cast(tf.cast(width * target_height, tf.float32) / target_width, tf.int32)
    crop_height = tf.maximum(tf.minimum(height, crop_height), 1)
    crop_width = tf.cast(tf.cast(height * target_width, tf.float32) / target_height, tf.int32)
    crop_width = tf.maximum(tf.minimum(width, crop_width), 1)
    top = tf.cast(tf.cast(height - crop_height, tf.float32) / 2, tf.int32)
    left = tf.cast(tf.cast(width - crop_width, tf.float32) / 2, tf.int32)
    return top, left, crop_height, crop_width


def _static_or_dynamic(images):
    """Height and width: Python ints when known, else tensors (as Keras's ``ops.shape``)."""
    shape = tf.shape(images)
    height, width = images.shape[1], images.shape[2]
    return (shape[1] if height is None else height), (shape[2] if width is None else width)


class Resizing(Layer):
    """``keras.layers.Resizing``: ``tf.image.resize`` to ``(height, width)`` (Keras's TF
    backend calls it), after cropping the centred window of the target aspect ratio
    (``crop_to_aspect_ratio``) or padding with ``fill_value`` to it (``pad_to_aspect_ratio``).
    Integer images come back rounded and saturate-cast to their dtype, as in Keras;
    segmentation masks are resized with ``nearest``."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last(self, data_format)
        if interpolation not in ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area"):
            raise ValueError(f"Invalid interpolation {interpolation!r}")
        if fill_mode != "constant":
            raise ValueError(f"Only fill_mode='constant' is supported, got {fill_mode!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True")
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(_data_layer_inputs(self, inputs), *args, **kwargs)

    def call(self, inputs):
        return _images_of(self, inputs, lambda images, key: self._resize(
            images, "nearest" if key == "segmentation_masks" else self.interpolation))

    def _resize(self, images, interpolation):
        if images.dtype.is_floating and images.dtype != self.compute_dtype:
            # Keras's ``Layer.__call__`` casts floating inputs to the compute dtype (Resizing
            # keeps its input conversion on); integer images stay as they are
            images = tf.cast(images, self.compute_dtype)
        if self.crop_to_aspect_ratio:
            shape = tf.shape(images)
            top, left, crop_height, crop_width = _crop_box(shape[1], shape[2], self.height, self.width)
            resized_from = images[:, top:top + crop_height, left:left + crop_width, :]
        elif self.pad_to_aspect_ratio:
            resized_from = self._pad(images)
        else:
            resized_from = images
        resized = tf.image.resize(resized_from, (self.height, self.width), method=interpolation,
                                  antialias=self.antialias)
        if resized.dtype == images.dtype:
            return resized
        if images.dtype.is_integer:
            resized = tf.round(resized)
        return tf.dtypes.saturate_cast(resized, images.dtype)

    def _pad(self, images):
        """Pad with ``fill_value`` to the target aspect ratio, the image centred."""
        shape = tf.shape(images)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        pad_height = tf.maximum(height, tf.cast(tf.cast(width * self.height, tf.float32) / self.width, tf.int32))
        pad_width = tf.maximum(width, tf.cast(tf.cast(height * self.width, tf.float32) / self.height, tf.int32))
        top = tf.cast(tf.cast(pad_height - height, tf.float32) / 2, tf.int32)
        left = tf.cast(tf.cast(pad_width - width, tf.float32) / 2, tf.int32)
        # the same margin on both sides, as Keras pads (an odd difference loses one row)
        fill = tf.cast(self.fill_value, images.dtype)
        rows = tf.ones(tf.stack([batch, top, width, channels]), images.dtype) * fill
        images = tf.concat([rows, images, rows], axis=1)
        cols = tf.ones(tf.stack([batch, tf.shape(images)[1], left, channels]), images.dtype) * fill
        return tf.concat([cols, images, cols], axis=2)


class CenterCrop(Layer):
    """``keras.layers.CenterCrop``: the centred ``(height, width)`` window, in the compute dtype
    (float32; float16 under ``mixed_float16``; integer images too). When
    the image is smaller than the target on a side, Keras instead crops the centred window of
    the target's aspect ratio and resizes it (bilinear) to the target: so does this layer."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last(self, data_format)
        self.height = height
        self.width = width

    def call(self, inputs):
        return _images_of(self, inputs, lambda images, key: self._crop(images))

    def _crop(self, images):
        images = tf.cast(images, self.compute_dtype)
        height, width = _static_or_dynamic(images)
        h_diff, w_diff = height - self.height, width - self.width
        # with a dimension unknown until run time Keras always slices (it cannot compare)
        if (not isinstance(h_diff, int) or h_diff >= 0) and (not isinstance(w_diff, int) or w_diff >= 0):
            top, left = h_diff // 2, w_diff // 2
            return images[:, top:top + self.height, left:left + self.width, :]
        top, left, crop_height, crop_width = _crop_box(height, width, self.height, self.width)
        window = images[:, top:top + crop_height, left:left + crop_width, :]
        return tf.image.resize(window, (self.height, self.width), method="bilinear")


class CategoryEncoding(Layer):
    """``keras.layers.CategoryEncoding``: integer ids in ``[0, num_tokens)`` as ``one_hot``,
    ``multi_hot`` (default; ``binary`` is its old name) or ``count`` vectors of length
    ``num_tokens``. As Keras's TF backend: ``tf.math.bincount`` for multi_hot/count inputs of
    rank <= 2 (ids out of range are dropped), ``tf.one_hot`` otherwise (a trailing axis of size
    1 is squeezed for one_hot; multi_hot/count of rank 3+ reduce axis 1).
    ``call(inputs, count_weights=None)``: weights per id for ``count``. ``sparse=True`` is not
    translated."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1, got {num_tokens}")
        if sparse:
            raise NotImplementedError("CategoryEncoding(sparse=True) is not translated")
        self.num_tokens = num_tokens
        self.output_mode = output_mode

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError("`count_weights` is only used when `output_mode` is 'count'")
            count_weights = tf.cast(count_weights, self.dtype)
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank == 0:
            inputs = tf.expand_dims(inputs, -1)
        depth = self.num_tokens
        if inputs.shape.rank <= 2 and self.output_mode != "one_hot":
            counts = tf.math.bincount(inputs, weights=count_weights, minlength=depth, maxlength=depth,
                                      dtype=self.dtype if count_weights is None else count_weights.dtype, axis=-1,
                                      binary_output=self.output_mode == "multi_hot")
            if isinstance(depth, int) and counts.shape.rank:
                # bincount's static shape leaves the last axis unknown; Keras's is num_tokens (a
                # Dense after it makes its kernel from it)
                counts.set_shape(counts.shape[:-1].concatenate([depth]))
            return tf.cast(counts, self.dtype)
        ids = tf.cast(inputs, tf.int64)
        if self.output_mode == "one_hot":
            if ids.shape.rank > 1 and ids.shape[-1] == 1:
                ids = tf.squeeze(ids, -1)
            return tf.one_hot(ids, depth, dtype=self.dtype)
        axis = 1 if ids.shape.rank > 1 else 0
        encoded = tf.one_hot(ids, depth, dtype=self.dtype if count_weights is None else count_weights.dtype)
        if self.output_mode == "multi_hot":
            return tf.reduce_max(encoded, axis=axis)
        if count_weights is not None:
            encoded = encoded * tf.expand_dims(count_weights, -1)
        return tf.reduce_sum(encoded, axis=axis)
