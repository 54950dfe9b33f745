#pragma once
// Previews of a latent while it forms: the cheap latent -> RGB matrix (docs/reference.md §3) and TAESD,
// the tiny VAE decoder (madebyollin/taesd) that users download as taesd_decoder / taesdxl_decoder.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include "Pipeline.h"
#include "models/ModelConfig.h"

namespace qd
{

// x0: [N, 4, h, w] latent as the UNet sees it (scaled). Returns [N, 3, h, w] RGB in [0, 1].
torch::Tensor cheapPreview(const torch::Tensor& x0, ModelFamily family);

// The same preview straight to 8-bit images, for every step of a generation: `bytesMatrix` (from
// cheapPreviewBytesMatrix, moved once to x0's device) folds the map, (x + 1) / 2, * 255 and the
// rounding into one matrix product, so a GPU runs three small kernels and sends only the bytes.
torch::Tensor cheapPreviewBytesMatrix(ModelFamily family); // [5, 3] float: 4 rows of factors, a bias row
std::vector<Image> cheapPreviewImages(const torch::Tensor& x0, const torch::Tensor& bytesMatrix);

// [3, H, W] (or [1, 3, H, W]) float in [0, 1] -> 8-bit RGB image.
Image tensorToImage(const torch::Tensor& rgb01);
// 8-bit RGB image -> [1, 3, H, W] float in [-1, 1] (what the VAE encoder takes).
torch::Tensor imageToTensor(const Image& image);

// TAESD decoder: Clamp, conv(4,64), ReLU, 3x(Block x3, Upsample x2, conv) , Block, conv(64,3).
// Sequential indices mirror the published file's keys ("1.weight", "3.conv.0.weight", ...).
class TaesdDecoderImpl : public torch::nn::Module
{
public:
    TaesdDecoderImpl();
    // latent: [N, 4, h, w] latent as the UNet sees it (scaled) -> [N, 3, 8h, 8w], RGB about in
    // [0, 1] (the network's raw output, as taesd.py's Decoder; A1111 clamps it for previews).
    torch::Tensor forward(torch::Tensor latent);
    // Loads a taesd_decoder / taesdxl_decoder file: .safetensors or PyTorch .pth, with
    // madebyollin's keys ("1.weight", "3.conv.0.weight", ...), the same behind "decoder.", or
    // diffusers' AutoencoderTiny keys ("decoder.layers.0.weight", one index lower). Throws
    // EngineError naming the file (and the key) when it is missing, damaged or another model.
    void loadFile(const std::string& path);

private:
    torch::nn::Sequential layers { nullptr };
};
TORCH_MODULE(TaesdDecoder);

} // namespace qd
