#!/usr/bin/env python3
"""Reference outputs of real PIL for src/engine/image-preprocess.ts (test/engine/pil-reference.test.ts).

Writes a few small test images (deterministic: seeded patterns with sharp edges and noise, so that bicubic
overshoot and clipping are exercised) into test/fixtures/pil-reference/, and reference.json beside them:

- "convert": each image after PIL's Image.convert("RGB") and convert("L");
- "resize": Image.resize((w, h), resample) of the RGB and L conversions, up and down, with NEAREST (0),
  BILINEAR (2), BICUBIC (3) and BOX (4);
- "pipelines": a preprocessor_config.json each, and what the Hugging Face slow image processor it names
  (ViTImageProcessor or DeiTImageProcessor) computes from the image: convert to the model's channels, resize
  (PIL), center crop (transformers' image_transforms.center_crop: top = (H - h) // 2, zero padding when the image
  is smaller), rescale (float64 product cast to float32) and normalize ((x - mean) / std in float32), channels
  first.
- "jpeg": JPEGs PIL wrote (4:4:4 and 4:2:0 chroma) and what PIL's decoder (libjpeg) reads from them.

Needs only Debian's python3-pil (no numpy, no transformers): the float32 steps are done with struct, one IEEE
single rounding per numpy operation. Arrays are base64: "u8" bytes (height x width x channels, row-major) and
"f32" little-endian float32 ([C, H, W]). Run it from the repository root: /usr/bin/python3 scripts/pil-reference.py
"""
import base64
import json
import math
import os
import random
import struct
import sys

import PIL
from PIL import Image, ImageFilter

OUT = os.path.join('test', 'fixtures', 'pil-reference')


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode('ascii')


def u8(im: Image.Image) -> dict:
    channels = len(im.getbands())
    return {'width': im.width, 'height': im.height, 'channels': channels, 'u8': b64(im.tobytes())}


def f32(x: float) -> float:
    return struct.unpack('<f', struct.pack('<f', x))[0]


def pattern(width: int, height: int, channels: int, seed: int) -> bytes:
    """Gradients, a bright square on a dark ground (hard edges), a checker stripe and noise, per channel."""
    rnd = random.Random(seed)
    out = bytearray()
    for y in range(height):
        for x in range(width):
            for c in range(channels):
                v = (x * (37 + 13 * c) + y * (23 + 7 * c)) % 256
                if width // 4 <= x < width // 2 and height // 4 <= y < (3 * height) // 4:
                    v = 250 - 5 * c
                elif x % 5 == 0:
                    v = 0 if (y + c) % 2 else 255
                v = min(255, max(0, v + rnd.randint(-20, 20)))
                if c == channels - 1 and channels in (2, 4):
                    v = (x * 255) // max(1, width - 1) if y % 3 else 0  # alpha: a ramp, and fully transparent rows
                out.append(v)
    return bytes(out)


def make_images() -> dict:
    specs = {
        'rgb-23x17.png': ('RGB', 23, 17, 3, 1),
        'rgb-61x45.png': ('RGB', 61, 45, 3, 2),
        'gray-19x13.png': ('L', 19, 13, 1, 3),
        'gray-alpha-9x7.png': ('LA', 9, 7, 2, 4),
        'rgba-11x10.png': ('RGBA', 11, 10, 4, 5),
    }
    images = {}
    for name, (mode, w, h, c, seed) in specs.items():
        im = Image.frombytes(mode, (w, h), pattern(w, h, c, seed))
        im.save(os.path.join(OUT, name), optimize=False)
        images[name] = Image.open(os.path.join(OUT, name))
    # A palette image (8 colours), no transparency.
    pal = Image.frombytes('L', (12, 8), bytes(((x * 3 + y * 5) % 8) for y in range(8) for x in range(12)))
    pal = pal.convert('P')
    palette = []
    for i in range(256):
        palette += [(i * 97) % 256, (i * 57 + 30) % 256, (255 - i * 31) % 256]
    pal.putpalette(palette)
    pal.save(os.path.join(OUT, 'palette-12x8.png'))
    images['palette-12x8.png'] = Image.open(os.path.join(OUT, 'palette-12x8.png'))
    return images


# -- the Hugging Face slow image processors, as transformers computes them (PIL for resize and convert) --------

DEFAULTS = {
    'ViTImageProcessor': {'size': None, 'resample': 2, 'crop': None},
    'DeiTImageProcessor': {'size': {'height': 256, 'width': 256}, 'resample': 3, 'crop': {'height': 224, 'width': 224}},
}


def size_dict(v):
    if isinstance(v, int):
        return {'height': v, 'width': v}
    if isinstance(v, list):
        return {'height': v[0], 'width': v[1]}
    return v


def center_crop(im: Image.Image, height: int, width: int) -> Image.Image:
    """transformers' center_crop on the 8-bit image: top-left at floor((H - h) / 2), zeros where it is smaller."""
    top = (im.height - height) // 2
    left = (im.width - width) // 2
    channels = len(im.getbands())
    src = im.tobytes()
    out = bytearray(height * width * channels)
    for y in range(height):
        sy = y + top
        if not 0 <= sy < im.height:
            continue
        for x in range(width):
            sx = x + left
            if 0 <= sx < im.width:
                i = (sy * im.width + sx) * channels
                o = (y * width + x) * channels
                out[o:o + channels] = src[i:i + channels]
    return Image.frombytes(im.mode, (width, height), bytes(out))


def pipeline(im: Image.Image, config: dict, model_size, channels: int) -> dict:
    kind = config.get('image_processor_type') or (config.get('feature_extractor_type') or 'ViTImageProcessor').replace('FeatureExtractor', 'ImageProcessor')
    d = DEFAULTS[kind]
    steps = {}
    im = im.convert('RGB' if channels == 3 else 'L')
    steps['converted'] = u8(im)
    if config.get('do_resize', True):
        s = size_dict(config.get('size', d['size'] or {'height': model_size[0], 'width': model_size[1]}))
        im = im.resize((s['width'], s['height']), resample=config.get('resample', d['resample']))
        steps['resized'] = u8(im)
    if d['crop'] is not None and config.get('do_center_crop', True):
        c = size_dict(config.get('crop_size', d['crop']))
        im = center_crop(im, c['height'], c['width'])
        steps['cropped'] = u8(im)
    data = im.tobytes()
    H, W = im.height, im.width
    values = []
    mean = [f32(m) for m in config.get('image_mean', [0.5] * channels)]
    std = [f32(s) for s in config.get('image_std', [0.5] * channels)]
    for c in range(channels):
        for y in range(H):
            for x in range(W):
                v = float(data[(y * W + x) * channels + c])
                if config.get('do_rescale', True):
                    v = f32(v * config.get('rescale_factor', 1 / 255))
                else:
                    v = f32(v)
                if config.get('do_normalize', True):
                    v = f32(f32(v - mean[c]) / std[c])
                values.append(v)
    steps['pixel_values'] = {'shape': [channels, H, W], 'f32': b64(struct.pack('<%df' % len(values), *values))}
    return steps


IMAGENET = {'image_mean': [0.485, 0.456, 0.406], 'image_std': [0.229, 0.224, 0.225]}

PIPELINES = [
    # facebook/deit-*-patch16-224's settings, scaled to a 32x32 model: resize to 40x40 (bicubic), crop 32x32.
    ('deit-up', 'rgb-23x17.png', {'feature_extractor_type': 'DeiTFeatureExtractor', 'do_center_crop': True, 'crop_size': 32, 'do_resize': True, 'size': 40, 'resample': 3, 'do_normalize': True, **IMAGENET}, [32, 32], 3),
    ('deit-down', 'rgb-61x45.png', {'image_processor_type': 'DeiTImageProcessor', 'crop_size': {'height': 32, 'width': 32}, 'size': {'height': 37, 'width': 37}, 'resample': 3, **IMAGENET}, [32, 32], 3),
    # An odd crop of a non-square resize, and a crop larger than the image (zero padding, do_resize false).
    ('deit-odd-crop', 'rgba-11x10.png', {'image_processor_type': 'DeiTImageProcessor', 'size': {'height': 21, 'width': 30}, 'crop_size': {'height': 16, 'width': 24}, 'resample': 2}, [16, 24], 3),
    ('deit-pad', 'rgb-23x17.png', {'image_processor_type': 'DeiTImageProcessor', 'do_resize': False, 'crop_size': {'height': 24, 'width': 16}, 'do_normalize': False}, [24, 16], 3),
    # google/vit-base-patch16-224's settings at 32x32: bilinear, mean = std = 0.5; and nearest.
    ('vit-bilinear', 'palette-12x8.png', {'feature_extractor_type': 'ViTFeatureExtractor', 'do_normalize': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5], 'resample': 2, 'size': 32}, [32, 32], 3),
    ('vit-nearest', 'rgb-61x45.png', {'image_processor_type': 'ViTImageProcessor', 'size': {'height': 32, 'width': 32}, 'resample': 0, 'do_rescale': False}, [32, 32], 3),
    # A one-channel model (as the bundled digits-vit): an RGB image converted with convert("L").
    ('digits-from-rgb', 'rgb-61x45.png', {'image_processor_type': 'ViTImageProcessor', 'size': {'height': 28, 'width': 28}, 'resample': 2, 'image_mean': [0.1307], 'image_std': [0.3081]}, [28, 28], 1),
    ('digits-from-rgba-bicubic', 'rgba-11x10.png', {'image_processor_type': 'ViTImageProcessor', 'size': {'height': 28, 'width': 28}, 'resample': 3, 'image_mean': [0.1307], 'image_std': [0.3081]}, [28, 28], 1),
]

RESIZES = [
    # (image, target width, target height)
    ('rgb-23x17.png', 40, 40),  # up, both axes
    ('rgb-23x17.png', 31, 9),  # up in x, down in y
    ('rgb-23x17.png', 23, 30),  # one axis only
    ('rgb-61x45.png', 20, 15),  # down by ~3
    ('rgb-61x45.png', 7, 5),  # down by ~9: wide antialiasing filters
    ('rgb-61x45.png', 32, 32),
    ('gray-19x13.png', 50, 29),
    ('gray-19x13.png', 8, 6),
    ('rgba-11x10.png', 17, 23),
]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    images = make_images()
    ref = {'pil_version': PIL.__version__, 'python': sys.version.split()[0], 'images': sorted(images), 'convert': [], 'resize': [], 'pipelines': []}
    for name in sorted(images):
        im = images[name]
        ref['convert'].append({'image': name, 'mode': im.mode, 'rgb': u8(im.convert('RGB')), 'l': u8(im.convert('L'))})
    for name, w, h in RESIZES:
        for mode in ('RGB', 'L'):
            src = images[name].convert(mode)
            for resample in (0, 2, 3, 4):
                ref['resize'].append({'image': name, 'mode': mode, 'width': w, 'height': h, 'resample': resample, 'out': u8(src.resize((w, h), resample=resample))})
    for case, name, config, model_size, channels in PIPELINES:
        ref['pipelines'].append({'case': case, 'image': name, 'config': config, 'image_size': model_size, 'channels': channels, **pipeline(images[name], config, model_size, channels)})
    # JPEGs of a smooth image (quality 90), with chroma at full resolution (4:4:4) and halved (4:2:0, PIL's
    # default), and what PIL's decoder (libjpeg) reads from them.
    smooth = bytearray()
    for y in range(48):
        for x in range(64):
            rgb = (127 + 100 * math.sin(x / 9.0) * math.cos(y / 7.0), 127 + 90 * math.cos((x + y) / 11.0), 60 + (x * 3 + y * 2) % 120)
            smooth += bytes(max(0, min(255, int(v))) for v in rgb)
    smooth_im = Image.frombytes('RGB', (64, 48), bytes(smooth)).filter(ImageFilter.GaussianBlur(1.5))
    ref['jpeg'] = []
    for subsampling, label in ((0, '444'), (2, '420')):
        name = f'smooth-64x48-{label}.jpg'
        smooth_im.save(os.path.join(OUT, name), format='JPEG', quality=90, subsampling=subsampling)
        ref['jpeg'].append({'image': name, 'subsampling': label, 'decoded': u8(Image.open(os.path.join(OUT, name)).convert('RGB'))})
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')
    print(f"wrote {OUT}/reference.json: {len(ref['convert'])} conversions, {len(ref['resize'])} resizes, {len(ref['pipelines'])} pipelines (PIL {PIL.__version__})")


if __name__ == '__main__':
    main()
